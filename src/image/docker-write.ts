// docker-archive output as `docker save` writes it: manifest.json, repositories, <config>.json, <id>/layer.tar.
import type { Writable } from 'node:stream';
import { TsbuildError, type Descriptor, type Digest, type Platform } from '../core/index.js';
import { digestHex, type ContentStore } from '../content/index.js';
import { digestLayerTar, layerCompressionOf, openLayerTar } from './compression.js';
import { repoTag } from './refname.js';
import { writeTar, type TarFile } from './tarwrite.js';
import type { DockerArchiveEntry, ImageConfig } from './types.js';
import { checkStored, readManifest, resolveManifest } from './walk.js';

export interface DockerArchiveImage {
  /** Image manifest (or index: the host platform's manifest is used). */
  manifest: Descriptor;
  /** Reference names; written in familiar form (`busybox:latest`). */
  repoTags: string[];
}

export interface DockerArchiveOptions {
  content: ContentStore;
  images: DockerArchiveImage[];
  platform?: Platform;
  signal?: AbortSignal;
}

/** Decompresses once to learn the tar size (a tar header needs it) and to check it against the diff_id. */
async function measureLayer(content: ContentStore, layer: Descriptor, diffId: Digest, signal?: AbortSignal): Promise<number> {
  const got = await digestLayerTar(content, layer, signal ? { signal } : {});
  if (got.diffId !== diffId) throw new TsbuildError('TSB4001', `layer ${layer.digest} decompresses to ${got.diffId}, but the config lists diff_id ${diffId}`);
  return got.size;
}

export async function writeDockerArchive(out: Writable, opts: DockerArchiveOptions): Promise<void> {
  const { content, signal } = opts;
  const files = new Map<string, TarFile>();
  const entries: DockerArchiveEntry[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const image of opts.images) {
    const manifestDesc = await resolveManifest(content, image.manifest, {
      ...(opts.platform ? { platform: opts.platform } : {}),
      ...(signal ? { signal } : {}),
    });
    const manifest = await readManifest(content, manifestDesc, signal);
    await checkStored(content, manifest.config);
    const config = await content.readJson<ImageConfig>(manifest.config.digest, signal);
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.layers.length) {
      throw new TsbuildError('TSB4005', `image ${manifestDesc.digest} has ${manifest.layers.length} layers but ${diffIds.length} diff_ids`);
    }
    const configName = `${digestHex(manifest.config.digest)}.json`;
    files.set(configName, { name: configName, size: manifest.config.size, open: () => content.readStream(manifest.config.digest, { verify: true }) });
    const layerNames: string[] = [];
    for (const [i, layer] of manifest.layers.entries()) {
      const diffId = diffIds[i] as Digest;
      const name = `${digestHex(diffId)}/layer.tar`;
      layerNames.push(name);
      if (files.has(name)) continue;
      await checkStored(content, layer);
      let size = layer.size;
      if (layerCompressionOf(layer) !== 'none') size = await measureLayer(content, layer, diffId, signal);
      else if (layer.digest !== diffId) throw new TsbuildError('TSB4001', `uncompressed layer ${layer.digest} differs from its diff_id ${diffId}`);
      files.set(name, { name, size, open: () => openLayerTar(content, layer) });
    }
    const tags = image.repoTags.map(repoTag);
    entries.push({ Config: configName, RepoTags: tags.map((t) => t.familiar), Layers: layerNames });
    const top = layerNames.at(-1)?.split('/')[0];
    for (const t of tags) if (top !== undefined) (repositories[t.repo] ??= {})[t.tag] = top;
  }
  const manifestJson = Buffer.from(JSON.stringify(entries));
  files.set('manifest.json', { name: 'manifest.json', size: manifestJson.length, open: () => manifestJson });
  if (Object.keys(repositories).length > 0) {
    const repos = Buffer.from(JSON.stringify(repositories));
    files.set('repositories', { name: 'repositories', size: repos.length, open: () => repos });
  }
  await writeTar(out, [...files.values()], signal);
}
