// Layer blob writing: one pass computes the diffID, compresses, and hands the blob to a sink.
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../core/index.js';
import { compressStream, mediaTypeFor, type Compression } from './compress.js';

export interface WriteLayerOptions {
  compression: Compression;
  /** Stores the compressed bytes (e.g. content store ingest) and reports their digest and size. */
  sink: (compressed: Readable) => Promise<{ digest: Digest; size: number }>;
  signal?: AbortSignal;
}

export interface WrittenLayer {
  /** sha256 of the uncompressed tar (the image config's diff_ids entry). */
  diffId: Digest;
  digest: Digest;
  size: number;
  mediaType: string;
  uncompressedSize: number;
  /** The tar had no entries (only end-of-archive padding). */
  empty: boolean;
}

/** Counts and hashes bytes flowing through, noting whether any non-zero byte appeared. */
class TarMeter extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  sawData = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    // An entry-less tar is all zero blocks; any header has a non-zero checksum field.
    if (!this.sawData && chunk.some((b) => b !== 0)) this.sawData = true;
    cb(null, chunk);
  }
}

export async function writeLayer(tar: Readable, opts: WriteLayerOptions): Promise<WrittenLayer> {
  const meter = new TarMeter();
  const compressor = compressStream(opts.compression);
  const signalOpt = opts.signal ? { signal: opts.signal } : {};
  const sunk = opts.sink(compressor).catch((e: unknown) => {
    // Without a reader the pipeline would wait forever on backpressure.
    compressor.destroy(e instanceof Error ? e : new Error(String(e)));
    throw e;
  });
  const [stored] = await Promise.all([sunk, pipeline(tar, meter, compressor, signalOpt)]);
  return {
    diffId: `sha256:${meter.hash.digest('hex')}`,
    digest: stored.digest,
    size: stored.size,
    mediaType: mediaTypeFor(opts.compression),
    uncompressedSize: meter.bytes,
    empty: !meter.sawData,
  };
}
