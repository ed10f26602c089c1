// Test support: builds small images (tar-stream layers, config, manifest) directly into a content store.
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { compress as zstdCompress } from 'zstd-napi';
import { sha256, type Descriptor, type Digest, type Platform } from '../core/index.js';
import type { ContentStore } from '../content/index.js';
import { ociIndex, ociManifest } from './build.js';
import { MediaType, type LayerCompression } from './mediatypes.js';
import { hostPlatform } from './platform.js';
import type { ImageConfig } from './types.js';

export interface TestImage {
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
  diffIds: Digest[];
}

export async function layerTar(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  const parts: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) parts.push(c as Buffer);
  })();
  for (const [name, body] of Object.entries(files).sort()) {
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name, mode: 0o644, mtime: new Date(1_700_000_000_000), uid: 0, gid: 0 }, body, (e) => (e ? reject(e) : resolve())),
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(parts);
}

const LAYER_TYPE: Record<LayerCompression, string> = { none: MediaType.ociLayer, gzip: MediaType.ociLayerGzip, zstd: MediaType.ociLayerZstd };

export async function makeTestImage(
  content: ContentStore,
  opts: { layers?: Array<Record<string, string>>; compression?: LayerCompression; platform?: Platform; cmd?: string[]; badDiffId?: boolean } = {},
): Promise<TestImage> {
  const compression = opts.compression ?? 'gzip';
  const layers: Descriptor[] = [];
  const diffIds: Digest[] = [];
  for (const files of opts.layers ?? [{ 'hello.txt': 'hello from tsbuild\n' }]) {
    const raw = await layerTar(files);
    diffIds.push(sha256(raw));
    const blob = compression === 'gzip' ? gzipSync(raw) : compression === 'zstd' ? zstdCompress(raw) : raw;
    const stored = await content.putBuffer(blob);
    layers.push({ mediaType: LAYER_TYPE[compression], ...stored });
  }
  if (opts.badDiffId) diffIds[0] = sha256('not the layer');
  const platform = opts.platform ?? hostPlatform();
  const config: ImageConfig = {
    created: '2024-01-01T00:00:00Z',
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: opts.cmd ?? ['/hello.txt'], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'COPY hello.txt /' })),
  };
  const configBlob = await content.putJson(config);
  const configDesc: Descriptor = { mediaType: MediaType.ociConfig, ...configBlob };
  const manifestBlob = await content.putJson(ociManifest(configDesc, layers));
  return { manifest: { mediaType: MediaType.ociManifest, ...manifestBlob }, config: configDesc, layers, diffIds };
}

/** A multi-platform index over one small image per platform. */
export async function makeTestIndex(content: ContentStore, platforms: Platform[]): Promise<{ index: Descriptor; images: TestImage[] }> {
  const images: TestImage[] = [];
  for (const p of platforms) images.push(await makeTestImage(content, { platform: p, layers: [{ 'arch.txt': `${p.architecture}\n` }] }));
  const blob = await content.putJson(ociIndex(images.map((img, i) => ({ ...img.manifest, platform: platforms[i] as Platform }))));
  return { index: { mediaType: MediaType.ociIndex, ...blob }, images };
}
