// Layer compression: gzip/zstd compressors, magic-byte detection and streaming decompression.
import { PassThrough, Readable, Transform } from 'node:stream';
import { lazy, TsbuildError } from '../core/index.js';
import { ChildTransform } from './child-transform.js';

export type Compression = 'gzip' | 'zstd' | 'none';
export type DetectedCompression = Compression | 'bzip2' | 'xz';

const MEDIA_TAR = 'application/vnd.oci.image.layer.v1.tar';

export function mediaTypeFor(c: Compression): string {
  switch (c) {
    case 'gzip':
      return `${MEDIA_TAR}+gzip`;
    case 'zstd':
      return `${MEDIA_TAR}+zstd`;
    case 'none':
      return MEDIA_TAR;
  }
}

/**
 * A compressor for layer blobs. Node's gzip header carries no file name and a zero mtime, so the
 * same tar always compresses to the same bytes (layer digests stay reproducible).
 */
export function compressStream(c: Compression): Transform {
  switch (c) {
    case 'gzip':
      return lazy.zlib().createGzip();
    case 'zstd':
      return new (lazy.zstd().CompressStream)({ compressionLevel: 3 });
    case 'none':
      return new PassThrough();
    default:
      throw new TsbuildError('TSB3103', `unsupported layer compression '${String(c)}'`);
  }
}

/** Bytes needed by detectCompression to recognise every supported format. */
export const MAGIC_BYTES = 6;

function startsWith(head: Buffer, magic: readonly number[]): boolean {
  return head.length >= magic.length && magic.every((b, i) => head[i] === b);
}

export function detectCompression(head: Buffer): DetectedCompression {
  if (startsWith(head, [0x1f, 0x8b, 0x08])) return 'gzip';
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  if (startsWith(head, [0x42, 0x5a, 0x68])) return 'bzip2';
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  return 'none';
}

/**
 * A streaming decompressor. bzip2 and xz have no Node built-in and the npm options are either
 * unmaintained or not streaming, so the system `bzip2` / `xz` programs do the work.
 */
export function decompressStream(c: DetectedCompression): Transform {
  switch (c) {
    case 'gzip':
      // Concatenated gzip members are valid (pigz, some registries); zlib handles them by default.
      return lazy.zlib().createGunzip();
    case 'zstd':
      return new (lazy.zstd().DecompressStream)();
    case 'bzip2':
      return new ChildTransform('bzip2', ['-dc']);
    case 'xz':
      return new ChildTransform('xz', ['-dc']);
    case 'none':
      return new PassThrough();
    default:
      throw new TsbuildError('TSB3103', `unsupported compression '${String(c)}'`);
  }
}

/** Reads until at least `n` bytes are buffered (or the stream ends) without losing any. */
async function peek(input: Readable, n: number): Promise<{ head: Buffer; rest: Readable }> {
  const chunks: Buffer[] = [];
  let len = 0;
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  while (len < n) {
    const r = await it.next();
    if (r.done) break;
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    chunks.push(b);
    len += b.length;
  }
  const head = Buffer.concat(chunks);
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      if (head.length > 0) yield head;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      }
    } finally {
      // Destroys the source when the consumer stops early.
      await it.return?.();
    }
  }
  return { head, rest: Readable.from(rest(), { objectMode: false }) };
}

/** Peeks at the first bytes of `input` and returns the decompressed stream (or the bytes as is). */
export async function openMaybeCompressed(input: Readable): Promise<Readable> {
  const { head, rest } = await peek(input, MAGIC_BYTES);
  const c = detectCompression(head);
  if (c === 'none') return rest;
  const d = decompressStream(c);
  rest.on('error', (e) => d.destroy(e));
  return rest.pipe(d);
}
