// Cross-process mutual exclusion for metadata changes: an O_EXCL lock file naming its owner's pid,
// taken over when that pid is gone; plus an in-process queue because the pid is shared.
import { promises as fsp, constants } from 'node:fs';
import { TsbuildError, throwIfAborted } from '../core/index.js';

const RETRY_MS = 20;
/** A takeover guard older than this was left by a process that died mid-takeover. */
const GUARD_STALE_MS = 10_000;

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM means the process exists but belongs to someone else
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function createExclusive(file: string): Promise<boolean> {
  try {
    const fh = await fsp.open(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
    try {
      await fh.writeFile(String(process.pid));
    } finally {
      await fh.close();
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

async function readOwner(file: string): Promise<{ pid: number; ino: number } | undefined> {
  try {
    const [text, st] = await Promise.all([fsp.readFile(file, 'utf8'), fsp.stat(file)]);
    return { pid: Number.parseInt(text.trim(), 10), ino: st.ino };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Removes `file` if its owner is dead. Only the holder of the guard file may unlink the lock, and it
 * re-reads the lock under the guard, so a live owner's fresh lock is never removed.
 */
async function takeOverIfStale(file: string): Promise<void> {
  const owner = await readOwner(file);
  // an empty pid means the owner is between create and write; give it time
  if (!owner || Number.isNaN(owner.pid) || pidAlive(owner.pid)) return;
  const guard = `${file}.takeover`;
  if (!(await createExclusive(guard))) {
    try {
      const st = await fsp.stat(guard);
      if (Date.now() - st.mtimeMs > GUARD_STALE_MS) await fsp.rm(guard, { force: true });
    } catch {
      // guard vanished meanwhile
    }
    return;
  }
  try {
    const again = await readOwner(file);
    if (again && again.ino === owner.ino && again.pid === owner.pid) await fsp.rm(file, { force: true });
  } finally {
    await fsp.rm(guard, { force: true });
  }
}

const queues = new Map<string, Promise<void>>();

/** Runs `fn` while holding the lock file `file` (exclusive across processes and within this one). */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<T> {
  const previous = queues.get(file) ?? Promise.resolve();
  let release: () => void = () => undefined;
  const mine = new Promise<void>((r) => {
    release = r;
  });
  const tail = previous.then(() => mine);
  queues.set(file, tail);
  try {
    await previous;
    await acquire(file, opts);
    try {
      return await fn();
    } finally {
      await fsp.rm(file, { force: true });
    }
  } finally {
    release();
    if (queues.get(file) === tail) queues.delete(file);
  }
}

async function acquire(file: string, opts: { timeoutMs?: number; signal?: AbortSignal }): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    throwIfAborted(opts.signal);
    if (await createExclusive(file)) return;
    await takeOverIfStale(file);
    if (Date.now() > deadline) {
      const owner = await readOwner(file);
      throw new TsbuildError('TSB4004', `lock ${file} is held by pid ${owner?.pid ?? 'unknown'}`);
    }
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}
