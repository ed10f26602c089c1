// Gzip of a chunked stream as independent members: compressed in parallel on the thread pool, or
// copied from an earlier blob holding the same chunk, and written in order.
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Writable } from 'node:stream';
import { promisify } from 'node:util';
import type { ZlibOptions } from 'node:zlib';
import { lazy, throwIfAborted, type Digest } from '../core/index.js';
import type { ChunkIndex, ChunkLocation, ChunkRecord } from './chunk-index.js';

let gzipAsync: ((data: Buffer, o: ZlibOptions) => Promise<Buffer>) | undefined;
/** zlib's gzip on the thread pool (zlib is loaded on first use). */
const gzipMember = (data: Buffer, o: ZlibOptions): Promise<Buffer> => (gzipAsync ??= promisify<Buffer, ZlibOptions, Buffer>(lazy.zlib().gzip))(data, o);
/** Below this, compressing is cheaper than loading the index (a small layer never loads it). */
const REUSE_MIN = 64 * 1024;

export interface ChunkStats {
  /** Gzip members written. */
  chunks: number;
  /** Members copied from stored blobs instead of compressed. */
  reused: number;
  /** Uncompressed bytes of the reused members. */
  reusedBytes: number;
}

export interface GzipChunksOptions {
  /** zlib level; the default matches zlib's own (6). */
  level?: number;
  /** Where to look for members to reuse, and whose hashes to compute. */
  index?: ChunkIndex;
  /** Chunks being compressed or read at once. */
  concurrency?: number;
  signal?: AbortSignal;
}

/** Names the exact compressor: members are only reused where the same bytes would come out. */
export function gzipCodec(level: number): string {
  return `gzip-${level}-zlib${process.versions.zlib ?? 'unknown'}`;
}

interface Encoded {
  member: Buffer;
  hash?: string;
  size: number;
  reused: boolean;
}

/**
 * A reused member must be what compressing this chunk produces now: a gzip header as zlib writes
 * it, and a trailer whose CRC and length belong to these bytes (catches stale or shifted records).
 */
function memberMatches(member: Buffer, chunk: Buffer): boolean {
  if (member.length < 18 || member[0] !== 0x1f || member[1] !== 0x8b || member[2] !== 8 || member[3] !== 0) return false;
  if (member.readUInt32LE(4) !== 0) return false;
  const end = member.length;
  return member.readUInt32LE(end - 4) === chunk.length % 0x100000000 && member.readUInt32LE(end - 8) === lazy.zlib().crc32(chunk);
}

/**
 * Writes gzip members for chunks handed to `add`, in order, to `out`. At most `concurrency`
 * chunks are held at once. `records` lists where each chunk's member landed (for the index).
 */
export class GzipChunkEncoder {
  readonly records: ChunkRecord[] = [];
  readonly stats: ChunkStats = { chunks: 0, reused: 0, reusedBytes: 0 };
  readonly codec: string;
  private readonly out: Writable;
  private readonly level: number;
  private readonly index: ChunkIndex | undefined;
  private readonly concurrency: number;
  private readonly signal: AbortSignal | undefined;
  private readonly pending: Array<Promise<Encoded>> = [];
  private readonly handles = new Map<Digest, Promise<fsp.FileHandle | undefined>>();
  private offset = 0;

  constructor(out: Writable, o: GzipChunksOptions = {}) {
    this.out = out;
    this.level = o.level ?? 6;
    this.codec = gzipCodec(this.level);
    this.index = o.index;
    this.concurrency = Math.max(1, o.concurrency ?? Math.min(4, availableParallelism() + 1));
    this.signal = o.signal;
  }

  async add(chunk: Buffer): Promise<void> {
    throwIfAborted(this.signal);
    const p = this.encode(chunk);
    // Observed now; the error is thrown when this chunk's turn to be written comes.
    p.catch(() => undefined);
    this.pending.push(p);
    while (this.pending.length >= this.concurrency) await this.writeNext();
  }

  /** Writes what is still pending and releases blob handles; `out` is left open. */
  async finish(): Promise<void> {
    try {
      while (this.pending.length > 0) await this.writeNext();
    } finally {
      await this.close();
    }
  }

  /** Releases blob handles after a failure. */
  async close(): Promise<void> {
    const hs = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(hs.map(async (h) => (await h.catch(() => undefined))?.close().catch(() => undefined)));
  }

  private async writeNext(): Promise<void> {
    const p = this.pending.shift();
    if (!p) return;
    const e = await p;
    if (e.hash !== undefined) this.records.push({ hash: e.hash, size: e.size, offset: this.offset, length: e.member.length });
    this.offset += e.member.length;
    this.stats.chunks++;
    if (e.reused) {
      this.stats.reused++;
      this.stats.reusedBytes += e.size;
    }
    // A destroyed stream never drains: stop here instead of waiting forever.
    if (this.out.destroyed) throw this.out.errored ?? new Error('layer output closed early');
    if (!this.out.write(e.member)) await once(this.out, 'drain', this.signal ? { signal: this.signal } : {});
  }

  private async encode(chunk: Buffer): Promise<Encoded> {
    if (!this.index) return { member: await this.compress(chunk), size: chunk.length, reused: false };
    const hash = lazy.blakeHash().blake3(chunk).toString('hex');
    const candidates = chunk.length < REUSE_MIN ? [] : await this.index.lookup(this.codec, hash);
    for (const loc of candidates) {
      if (loc.size !== chunk.length) continue;
      const member = await this.readMember(loc);
      if (member && memberMatches(member, chunk)) return { member, hash, size: chunk.length, reused: true };
    }
    return { member: await this.compress(chunk), hash, size: chunk.length, reused: false };
  }

  private compress(chunk: Buffer): Promise<Buffer> {
    // A large output buffer means fewer round trips to the thread pool; the bytes do not depend on it.
    return gzipMember(chunk, { level: this.level, chunkSize: 256 * 1024 });
  }

  private async readMember(loc: ChunkLocation): Promise<Buffer | undefined> {
    const index = this.index;
    if (!index) return undefined;
    let h = this.handles.get(loc.blob);
    if (!h) {
      h = fsp.open(index.pathOf(loc.blob), 'r').catch(async (e: unknown) => {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') await index.forget(loc.blob);
        return undefined;
      });
      this.handles.set(loc.blob, h);
    }
    const fh = await h;
    if (!fh) return undefined;
    const buf = Buffer.allocUnsafe(loc.length);
    let got = 0;
    while (got < loc.length) {
      const { bytesRead } = await fh.read(buf, got, loc.length - got, loc.offset + got);
      if (bytesRead === 0) return undefined;
      got += bytesRead;
    }
    return buf;
  }
}
