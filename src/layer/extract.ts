// ADD of a local archive: detection (is it a tar, maybe compressed?) and safe extraction.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { isTsbuildError } from '../core/index.js';
import { openMaybeCompressed } from './compress.js';
import { extractEntries } from './apply.js';
import { BLOCK, checksumMatches, isZeroBlock } from './tar-format.js';

export interface ExtractTarOptions {
  /** Owner for every extracted entry (ADD --chown); otherwise archive owners when root. */
  chown?: { uid: number; gid: number };
  signal?: AbortSignal;
}

/**
 * Extracts a possibly compressed tar into destDir: existing files are replaced, directories
 * merged, `.wh.` names kept as ordinary files, and nothing outside destDir is touched.
 */
export async function extractTar(input: Readable, destDir: string, opts: ExtractTarOptions = {}): Promise<void> {
  const tar = await openMaybeCompressed(input);
  await extractEntries(tar, {
    root: destDir,
    whiteouts: 'none',
    sameOwner: process.getuid?.() === 0,
    ...(opts.chown ? { chown: opts.chown } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}

/**
 * True when the file, after decompression, starts with a valid tar header block, the way
 * `ADD` decides between extracting and copying. Decompression errors mean "not an archive".
 */
export async function isArchive(file: string, signal?: AbortSignal): Promise<boolean> {
  const raw = createReadStream(file, signal ? { signal } : {});
  try {
    const stream = await openMaybeCompressed(raw);
    const chunks: Buffer[] = [];
    let len = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        len += chunk.length;
        if (len >= BLOCK) break;
      }
    } finally {
      stream.destroy();
    }
    const block = Buffer.concat(chunks).subarray(0, BLOCK);
    return block.length === BLOCK && !isZeroBlock(block) && checksumMatches(block);
  } catch (e) {
    // Unreadable files and missing decompressors are real failures; bad data just means "no".
    if ((e as NodeJS.ErrnoException).syscall !== undefined) throw e;
    if (isTsbuildError(e) && e.code === 'TSB3104') throw e;
    return false;
  } finally {
    raw.destroy();
  }
}
