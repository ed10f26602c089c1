// Deterministic tar output: sorted entries, implied parent directories, fixed mtime/owner/mode.
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { abortError, isTsbuildError, throwIfAborted } from '../core/index.js';

/** A regular file to put in the tar; `open` is called only when the entry is written. */
export interface TarFile {
  name: string;
  size: number;
  open: () => Readable | Buffer;
}

const EPOCH = new Date(0);

function parents(name: string): string[] {
  const parts = name.split('/').slice(0, -1);
  return parts.map((_, i) => `${parts.slice(0, i + 1).join('/')}/`);
}

/** Resolves on 'drain'; an entry destroyed with the pack (output failed) must not leave us waiting. */
function drained(entry: tar.Pack | ReturnType<tar.Pack['entry']>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (entry.destroyed || entry.destroying) return reject(new Error('tar entry closed before it was written'));
    const done = (err?: Error): void => {
      entry.off('drain', onDrain);
      entry.off('error', onError);
      entry.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onError = (e: Error): void => done(e);
    const onClose = (): void => done(new Error('tar entry closed before it was written'));
    entry.on('drain', onDrain);
    entry.on('error', onError);
    entry.on('close', onClose);
  });
}

async function writeEntry(pack: tar.Pack, file: TarFile): Promise<void> {
  const header: tar.Header = { name: file.name, size: file.size, mode: 0o644, mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '', type: 'file', linkname: '', devmajor: 0, devminor: 0 };
  const body = file.open();
  if (Buffer.isBuffer(body)) {
    await new Promise<void>((resolve, reject) => pack.entry(header, body, (err) => (err ? reject(err) : resolve())));
    return;
  }
  const entry = pack.entry(header);
  const finished = new Promise<void>((resolve, reject) => {
    entry.on('finish', resolve);
    entry.on('error', reject);
    entry.on('close', () => resolve());
  });
  finished.catch(() => undefined);
  try {
    for await (const chunk of body) {
      if (entry.destroyed || entry.destroying) throw new Error('tar output closed before the entry was written');
      if (!entry.write(chunk as Buffer)) await drained(entry);
    }
  } catch (e) {
    entry.destroy(e as Error);
    throw e;
  }
  entry.end(undefined);
  await finished;
}

/**
 * Writes `files` as a tar to `out` (and ends it). Entries are sorted by name and parent
 * directories are added, so the same inputs always give the same bytes.
 */
export async function writeTar(out: Writable, files: readonly TarFile[], signal?: AbortSignal): Promise<void> {
  throwIfAborted(signal);
  const byName = new Map<string, TarFile | undefined>();
  for (const f of files) {
    for (const dir of parents(f.name)) if (!byName.has(dir)) byName.set(dir, undefined);
    byName.set(f.name, f);
  }
  const names = [...byName.keys()].sort();
  const pack = tar.pack();
  const onAbort = (): void => {
    pack.destroy(abortError(signal));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const piping = pipeline(pack as unknown as Readable, out);
  // Marks the rejection handled now; it is still awaited (and thrown) below.
  piping.catch(() => undefined);
  try {
    for (const name of names) {
      throwIfAborted(signal);
      const f = byName.get(name);
      if (f) await writeEntry(pack, f);
      else await new Promise<void>((resolve, reject) => pack.entry({ name, type: 'directory', mode: 0o755, mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '' }, (err) => (err ? reject(err) : resolve())));
    }
    pack.finalize();
  } catch (e) {
    pack.destroy(e as Error);
    // When the output failed, its error is the cause worth reporting.
    const outErr = await piping.then(
      () => undefined,
      (err: unknown) => err,
    );
    throw isTsbuildError(e) || (e as Error).name === 'AbortError' ? e : (outErr ?? e);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  await piping;
}
