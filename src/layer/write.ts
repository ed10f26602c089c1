// Layer blob writing: one pass computes the diffID, compresses, and hands the blob to a sink.
import { createHash } from 'node:crypto';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { throwIfAborted, TsbuildError, type Digest } from '../core/index.js';
import type { ChunkIndex } from './chunk-index.js';
import { TarChunker } from './chunker.js';
import { compressStream, mediaTypeFor, type Compression } from './compress.js';
import { GzipChunkEncoder, type ChunkStats } from './gzip-chunks.js';

export interface WriteLayerOptions {
  compression: Compression;
  /** Stores the compressed bytes (e.g. content store ingest) and reports their digest and size. */
  sink: (compressed: Readable) => Promise<{ digest: Digest; size: number }>;
  signal?: AbortSignal;
  /**
   * gzip only: members already stored for identical chunks are copied from their blobs, and the
   * new blob's chunks are added. The output is the same bytes with or without it.
   */
  chunkIndex?: ChunkIndex;
  /** gzip only: chunks compressed at once (default: cores + 1, at most 4). */
  concurrency?: number;
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
  /** gzip only: how the blob's members were produced. */
  chunks?: ChunkStats;
}

/** Counts and hashes bytes flowing through, noting whether any non-zero byte appeared. */
class TarMeter extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  sawData = false;

  see(chunk: Buffer): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    // An entry-less tar is all zero blocks; any header has a non-zero checksum field.
    if (!this.sawData && chunk.some((b) => b !== 0)) this.sawData = true;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.see(chunk);
    cb(null, chunk);
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * gzip as a series of independent members, one per tar chunk (RFC 1952 readers take them as one
 * stream): chunks compress in parallel, and unchanged ones are copied from stored blobs.
 */
async function writeGzipChunked(tar: Readable, opts: WriteLayerOptions): Promise<WrittenLayer> {
  const meter = new TarMeter();
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  // Failures surface through the promises below; this keeps a destroyed stream from crashing the process.
  out.on('error', () => undefined);
  const sunk = opts.sink(out).catch((e: unknown) => {
    out.destroy(asError(e));
    throw e;
  });
  const enc = new GzipChunkEncoder(out, {
    ...(opts.chunkIndex ? { index: opts.chunkIndex } : {}),
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const produce = async (): Promise<void> => {
    const chunker = new TarChunker();
    let chunked = 0;
    const add = async (c: Buffer): Promise<void> => {
      chunked += c.length;
      await enc.add(c);
    };
    try {
      for await (const buf of tar as AsyncIterable<Buffer>) {
        throwIfAborted(opts.signal);
        meter.see(buf);
        for (const c of chunker.push(buf)) await add(c);
      }
      for (const c of chunker.end()) await add(c);
      // The blob must decompress to exactly the bytes the diffID was computed from.
      if (chunked !== meter.bytes) throw new TsbuildError('TSB9999', `layer chunking lost bytes (${chunked} of ${meter.bytes}); nothing was stored`);
      await enc.finish();
      out.end();
    } catch (e) {
      await enc.close();
      out.destroy(asError(e));
      throw e;
    }
  };
  const [stored] = await Promise.all([sunk, produce()]);
  if (opts.chunkIndex) await opts.chunkIndex.record(stored.digest, enc.codec, enc.records).catch(() => undefined);
  return {
    diffId: `sha256:${meter.hash.digest('hex')}`,
    digest: stored.digest,
    size: stored.size,
    mediaType: mediaTypeFor('gzip'),
    uncompressedSize: meter.bytes,
    empty: !meter.sawData,
    chunks: { ...enc.stats },
  };
}

export async function writeLayer(tar: Readable, opts: WriteLayerOptions): Promise<WrittenLayer> {
  if (opts.compression === 'gzip') return writeGzipChunked(tar, opts);
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
