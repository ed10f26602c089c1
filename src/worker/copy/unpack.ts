// ADD of a local archive: tar files (any compression, detected by content) are extracted.
import { createReadStream } from 'node:fs';
import { TsbuildError } from '../../core/index.js';
import type { ContextEntry } from '../../context/index.js';
import { extractTar, isArchive } from '../../layer/index.js';

/** True when ADD should extract this entry rather than copy it. */
export async function shouldUnpack(e: ContextEntry, signal?: AbortSignal): Promise<boolean> {
  if (e.type !== 'file') return false;
  return isArchive(e.abs, signal);
}

/** Extracts the archive into the host directory `destDir` (which must exist). */
export async function unpackInto(
  e: ContextEntry,
  destDir: string,
  opts: { chown?: { uid: number; gid: number }; signal?: AbortSignal },
): Promise<void> {
  try {
    await extractTar(createReadStream(e.abs), destDir, {
      ...(opts.chown ? { chown: opts.chown } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if (err instanceof TsbuildError) throw err;
    if ((err as Error).name === 'AbortError') throw err;
    throw new TsbuildError('TSB2109', `cannot extract ${e.matched}: ${(err as Error).message}`, { cause: err });
  }
}
