// Applies an uncompressed layer tar to a directory: a full tree (plain) or an overlay upper dir.
import type { Readable } from 'node:stream';
import { TsbuildError, isTsbuildError } from '../core/index.js';
import { Extractor, type ExtractorOptions } from './extractor.js';
import { readTar } from './tar-read.js';

export interface ApplyLayerOptions {
  /** plain: destDir is a full tree; overlay: destDir is the upper dir of a new overlay snapshot. */
  format: 'overlay' | 'plain';
  signal?: AbortSignal;
  /** Restore archive owners; defaults to true when running as root. */
  sameOwner?: boolean;
}

/** Runs every entry of `tar` through an extractor, naming the entry in unexpected failures. */
export async function extractEntries(tar: Readable, opts: ExtractorOptions): Promise<number> {
  const ex = new Extractor(opts);
  for await (const entry of readTar(tar, opts.signal)) {
    try {
      await ex.add(entry);
    } catch (e) {
      if (isTsbuildError(e) || (e as Error).name === 'AbortError') throw e;
      throw new TsbuildError('TSB3102', `cannot extract '${entry.header.name}': ${(e as Error).message}`, { cause: e });
    }
  }
  await ex.finish();
  return ex.entries;
}

/**
 * Applies a layer. Whiteouts (`.wh.NAME`) delete NAME in plain format and become overlay
 * whiteout devices in overlay format; `.wh..wh..opq` hides lower entries of its directory.
 * Entries that would touch anything outside destDir fail with TSB3101.
 */
export async function applyLayer(tar: Readable, destDir: string, opts: ApplyLayerOptions): Promise<{ entries: number }> {
  const entries = await extractEntries(tar, {
    root: destDir,
    whiteouts: opts.format,
    sameOwner: opts.sameOwner ?? process.getuid?.() === 0,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return { entries };
}
