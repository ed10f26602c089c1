// Content-addressed blob store: sha256 blobs under <root>/blobs/sha256 with atomic, verified ingest.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fsp, statSync } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { TsbuildError, abortError, fsyncDir, throwIfAborted, type Digest } from '../core/index.js';
import { asDigest, digestHex } from './digest.js';

export interface BlobInfo {
  digest: Digest;
  size: number;
}

export interface IngestOptions {
  /** When given, the content must hash to this digest or nothing is stored (TSB4001). */
  digest?: Digest;
  /** When given, the content must have exactly this many bytes or nothing is stored (TSB4001). */
  size?: number;
  signal?: AbortSignal;
}

export interface ReadOptions {
  /** Hash while reading; the stream fails with TSB4001 at its end if the bytes do not match. */
  verify?: boolean;
}

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function notFound(d: Digest, cause?: unknown): TsbuildError {
  return new TsbuildError('TSB4002', `content ${d} not found in the store`, cause === undefined ? {} : { cause });
}

function mismatch(what: string, want: string, got: string): TsbuildError {
  return new TsbuildError('TSB4001', `${what}: expected ${want}, got ${got}`);
}

async function writeAll(fh: fsp.FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

/**
 * Blobs addressed by sha256, laid out like an OCI image layout's blobs directory.
 *
 * Lifecycle of a blob: `ingest` streams into `<root>/ingest/<random>`, hashes, fsyncs, verifies,
 * then renames into `<root>/blobs/sha256/<hex>`. A blob path therefore only ever holds complete
 * content; a crash leaves at most an orphan file in `ingest/`, which `cleanupIngest` removes.
 * Blobs are immutable once stored; `delete` is for garbage collection by the caller.
 */
export class ContentStore {
  readonly root: string;
  readonly blobsDir: string;
  readonly ingestDir: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.blobsDir = path.join(this.root, 'blobs', 'sha256');
    this.ingestDir = path.join(this.root, 'ingest');
  }

  path(d: Digest): string {
    return path.join(this.blobsDir, digestHex(d));
  }

  async has(d: Digest): Promise<boolean> {
    return (await this.info(d)) !== undefined;
  }

  async info(d: Digest): Promise<BlobInfo | undefined> {
    // One stat; synchronous because a thread-pool round trip costs more than the call itself.
    try {
      const st = statSync(this.path(d), { throwIfNoEntry: false });
      return st?.isFile() ? { digest: d, size: st.size } : undefined;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async ingest(stream: Readable, expected: IngestOptions = {}): Promise<BlobInfo> {
    const { signal } = expected;
    if (expected.digest !== undefined) digestHex(expected.digest);
    throwIfAborted(signal);
    await fsp.mkdir(this.ingestDir, { recursive: true });
    const tmp = path.join(this.ingestDir, randomBytes(16).toString('hex'));
    const fh = await fsp.open(tmp, 'wx', 0o644);
    let open = true;
    const onAbort = (): void => {
      stream.destroy(abortError(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of stream) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        size += buf.length;
        // Stop early instead of writing an oversized blob to disk.
        if (expected.size !== undefined && size > expected.size) {
          throw mismatch(`size of ${expected.digest ?? 'ingested content'}`, `${expected.size} bytes`, `more`);
        }
        hash.update(buf);
        await writeAll(fh, buf);
      }
      throwIfAborted(signal);
      await fh.sync();
      open = false;
      await fh.close();
      const digest = asDigest(hash.digest('hex'));
      if (expected.size !== undefined && size !== expected.size) {
        throw mismatch(`size of ${expected.digest ?? digest}`, `${expected.size} bytes`, `${size} bytes`);
      }
      if (expected.digest !== undefined && digest !== expected.digest) {
        throw mismatch('digest of ingested content', expected.digest, digest);
      }
      await this.commit(tmp, { digest, size });
      return { digest, size };
    } catch (e) {
      if (open) await fh.close().catch(() => undefined);
      await fsp.rm(tmp, { force: true });
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async commit(tmp: string, blob: BlobInfo): Promise<void> {
    const existing = await this.info(blob.digest);
    // A same-size file at a content address was itself renamed in complete, so keep it.
    if (existing?.size === blob.size) {
      await fsp.rm(tmp, { force: true });
      return;
    }
    await fsp.mkdir(this.blobsDir, { recursive: true });
    await fsp.rename(tmp, this.path(blob.digest));
    await fsyncDir(this.blobsDir);
  }

  async putBuffer(data: Uint8Array | string, signal?: AbortSignal): Promise<BlobInfo> {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    // The digest is known before anything is written: a blob already stored costs one stat,
    // not a write, an fsync and a rename (a no-op rebuild re-stores its manifest and configs).
    const digest = asDigest(createHash('sha256').update(buf).digest('hex'));
    throwIfAborted(signal);
    if ((await this.info(digest))?.size === buf.length) return { digest, size: buf.length };
    return this.ingest(Readable.from([buf]), signal ? { signal } : {});
  }

  /** Stores `JSON.stringify(value)` byte for byte; callers build canonical objects. */
  async putJson(value: unknown, signal?: AbortSignal): Promise<BlobInfo> {
    return this.putBuffer(JSON.stringify(value), signal);
  }

  readStream(d: Digest, opts: ReadOptions = {}): Readable {
    const src = createReadStream(this.path(d));
    const hash = opts.verify ? createHash('sha256') : undefined;
    const out = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash?.update(chunk);
        cb(null, chunk);
      },
      flush(cb) {
        if (hash) {
          const got = asDigest(hash.digest('hex'));
          if (got !== d) return cb(mismatch(`stored content ${d} is corrupt`, d, got));
        }
        cb();
      },
    });
    src.on('error', (e) => out.destroy(isNotFound(e) ? notFound(d, e) : e));
    out.on('close', () => src.destroy());
    src.pipe(out);
    return out;
  }

  async readBuffer(d: Digest, signal?: AbortSignal): Promise<Buffer> {
    let buf: Buffer;
    try {
      buf = await fsp.readFile(this.path(d), signal ? { signal } : {});
    } catch (e) {
      if (isNotFound(e)) throw notFound(d, e);
      throw e;
    }
    const got = asDigest(createHash('sha256').update(buf).digest('hex'));
    if (got !== d) throw mismatch(`stored content ${d} is corrupt`, d, got);
    return buf;
  }

  async readJson<T>(d: Digest, signal?: AbortSignal): Promise<T> {
    const buf = await this.readBuffer(d, signal);
    try {
      return JSON.parse(buf.toString('utf8')) as T;
    } catch (e) {
      throw new TsbuildError('TSB4005', `content ${d} is not valid JSON`, { cause: e });
    }
  }

  /** Removes a blob; returns whether it was present. */
  async delete(d: Digest): Promise<boolean> {
    const p = this.path(d);
    try {
      await fsp.unlink(p);
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
    await fsyncDir(this.blobsDir);
    return true;
  }

  async *list(): AsyncIterable<BlobInfo> {
    let names: string[];
    try {
      names = await fsp.readdir(this.blobsDir);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    for (const name of names.sort()) {
      if (!/^[a-f0-9]{64}$/.test(name)) continue;
      const info = await this.info(asDigest(name));
      if (info) yield info;
    }
  }

  /** Removes ingest temp files untouched for `olderThanMs` (left by crashed writers); returns how many. */
  async cleanupIngest(olderThanMs: number): Promise<number> {
    let names: string[];
    try {
      names = await fsp.readdir(this.ingestDir);
    } catch (e) {
      if (isNotFound(e)) return 0;
      throw e;
    }
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of names) {
      const p = path.join(this.ingestDir, name);
      try {
        const st = await fsp.lstat(p);
        if (st.mtimeMs <= cutoff) {
          await fsp.rm(p, { force: true, recursive: true });
          removed++;
        }
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    return removed;
  }
}
