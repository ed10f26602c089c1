// Layer decompression: by media type or by sniffing magic bytes; gzip via node:zlib, zstd via zstd-napi.
import { open } from 'node:fs/promises';
import { PassThrough, type Readable, type Transform } from 'node:stream';
import { createHash } from 'node:crypto';
import { lazy, TsbuildError, throwIfAborted, type Descriptor, type Digest } from '../core/index.js';
import type { ContentStore } from '../content/index.js';
import { layerCompression, type LayerCompression } from './mediatypes.js';

export function decompressor(c: LayerCompression): Transform {
  if (c === 'gzip') return lazy.zlib().createGunzip();
  if (c === 'zstd') return new (lazy.zstd().DecompressStream)();
  return new PassThrough();
}

export function sniffCompression(head: Uint8Array): LayerCompression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

export async function sniffFile(file: string): Promise<LayerCompression> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await fh.read(buf, 0, 4, 0);
    return sniffCompression(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** Pipes `src` through `t`, forwarding errors both ways, and returns the output side. */
export function chain(src: Readable, t: Transform): Transform {
  src.on('error', (e) => t.destroy(e));
  t.on('close', () => src.destroy());
  src.pipe(t);
  return t;
}

export function layerCompressionOf(desc: Descriptor): LayerCompression {
  const c = layerCompression(desc.mediaType);
  if (c === undefined) throw new TsbuildError('TSB4102', `unsupported layer media type ${desc.mediaType} for ${desc.digest}`);
  return c;
}

/** The uncompressed tar of a stored layer, read with digest verification. */
export function openLayerTar(content: ContentStore, desc: Descriptor, compression: LayerCompression = layerCompressionOf(desc)): Readable {
  return chain(content.readStream(desc.digest, { verify: true }), decompressor(compression));
}

/** sha256 and byte count of a stored layer's uncompressed tar (its diff_id and tar size). */
export async function digestLayerTar(
  content: ContentStore,
  layer: Descriptor,
  opts: { compression?: LayerCompression; signal?: AbortSignal } = {},
): Promise<{ diffId: Digest; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of openLayerTar(content, layer, opts.compression ?? layerCompressionOf(layer))) {
      throwIfAborted(opts.signal);
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (e) {
    if (e instanceof TsbuildError || (e as Error).name === 'AbortError') throw e;
    throw new TsbuildError('TSB4005', `layer ${layer.digest} cannot be decompressed`, { cause: e });
  }
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}
