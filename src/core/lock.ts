// Inter-process exclusive lock files that survive crashes: a lock whose holder is dead is taken over.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TsbuildError, throwIfAborted } from './errors.js';
import { currentProcess, processAlive, type ProcessIdentity } from './process.js';
import { acquireMutex } from './mutex.js';

export interface LockOptions {
  signal?: AbortSignal;
  /** Give up with TSB4004 after this long; without it, wait until the holder finishes or dies. */
  timeoutMs?: number;
}

/** What a lock file records about its holder; the nonce tells two acquisitions apart. */
interface Owner extends ProcessIdentity {
  nonce: string;
}

function self(): Owner {
  return { ...currentProcess(), nonce: randomBytes(8).toString('hex') };
}

function parseOwner(raw: string): Owner | undefined {
  try {
    const v = JSON.parse(raw) as Partial<Owner>;
    if (typeof v.pid !== 'number' || typeof v.nonce !== 'string') return undefined;
    return { pid: v.pid, start: String(v.start ?? ''), boot: String(v.boot ?? ''), host: String(v.host ?? ''), nonce: v.nonce };
  } catch {
    return undefined;
  }
}

async function readRaw(file: string): Promise<{ raw: string; mtimeMs: number } | undefined> {
  try {
    const [raw, st] = await Promise.all([fsp.readFile(file, 'utf8'), fsp.stat(file)]);
    return { raw, mtimeMs: st.mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Creates `file` with `content` only if it does not exist; the content appears complete (link is atomic). */
async function tryCreate(file: string, content: string): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await fsp.writeFile(tmp, content, { flag: 'wx' });
  try {
    await fsp.link(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

/** Unparsable lock files cannot come from tryCreate; give whoever wrote them this long before removal. */
const GARBAGE_GRACE_MS = 10_000;

function isStale(current: { raw: string; mtimeMs: number }): boolean {
  const owner = parseOwner(current.raw);
  if (!owner) return Date.now() - current.mtimeMs > GARBAGE_GRACE_MS;
  return !processAlive(owner);
}

/**
 * Removes a stale lock file, but only if it still holds the content judged stale. A short-lived
 * guard file serializes breakers so one cannot delete a fresh lock another breaker just created.
 */
async function breakLock(file: string, staleRaw: string): Promise<void> {
  const guard = `${file}.break`;
  if (!(await tryCreate(guard, JSON.stringify(self())))) {
    const g = await readRaw(guard);
    // The guard is held for microseconds; a guard whose holder died is removed directly.
    if (g && isStale(g)) await fsp.rm(guard, { force: true });
    return;
  }
  try {
    const now = await readRaw(file);
    if (now?.raw === staleRaw) await fsp.rm(file, { force: true });
  } finally {
    await fsp.rm(guard, { force: true });
  }
}

function lockedError(file: string, holder: string | undefined): TsbuildError {
  const who = holder ? parseOwner(holder) : undefined;
  return new TsbuildError('TSB4004', `lock ${file} is held${who ? ` by process ${who.pid} on ${who.host}` : ''}`);
}

async function acquireFile(file: string, opts: LockOptions, deadline: number | undefined): Promise<() => Promise<void>> {
  const me = JSON.stringify(self());
  await fsp.mkdir(path.dirname(file), { recursive: true });
  let delay = 5;
  for (;;) {
    throwIfAborted(opts.signal);
    if (await tryCreate(file, me)) {
      return async () => {
        const now = await readRaw(file);
        if (now?.raw === me) await fsp.rm(file, { force: true });
      };
    }
    const current = await readRaw(file);
    if (!current) continue;
    if (isStale(current)) {
      await breakLock(file, current.raw);
      continue;
    }
    if (deadline !== undefined && Date.now() >= deadline) throw lockedError(file, current.raw);
    const wait = deadline === undefined ? delay : Math.min(delay, Math.max(1, deadline - Date.now()));
    await sleep(wait, undefined, opts.signal ? { signal: opts.signal } : {}).catch(() => throwIfAborted(opts.signal));
    delay = Math.min(delay * 2, 100);
  }
}

/**
 * Runs `fn` while holding an exclusive lock on `lockFile`, across processes and within this one.
 * The lock file records pid, process start time and boot id; a lock whose holder has exited (or
 * was killed) is taken over, so a crash never wedges the store.
 */
export async function withLock<T>(lockFile: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const file = path.resolve(lockFile);
  const deadline = opts.timeoutMs === undefined ? undefined : Date.now() + opts.timeoutMs;
  const release = await acquireMutex(file, {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(deadline !== undefined ? { deadline } : {}),
    onTimeout: () => lockedError(file, undefined),
  });
  try {
    const unlockFile = await acquireFile(file, opts, deadline);
    try {
      return await fn();
    } finally {
      await unlockFile();
    }
  } finally {
    release();
  }
}
