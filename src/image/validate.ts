// Image validation: every digest, size, media type and diff_id of a stored image must agree.
import { TsbuildError, throwIfAborted, type Descriptor } from '../core/index.js';
import type { ContentStore } from '../content/index.js';
import { digestLayerTar } from './compression.js';
import { isConfigType, isIndexType, isManifestType, layerCompression } from './mediatypes.js';
import type { ImageConfig, ImageIndex, ImageManifest } from './types.js';
import { checkStored } from './walk.js';

function fail(msg: string): TsbuildError {
  return new TsbuildError('TSB4005', msg);
}

async function validateManifest(content: ContentStore, desc: Descriptor, signal?: AbortSignal): Promise<void> {
  const m = await content.readJson<ImageManifest>(desc.digest, signal);
  if (m.schemaVersion !== 2) throw fail(`manifest ${desc.digest} has schemaVersion ${String(m.schemaVersion)}`);
  if (m.mediaType !== undefined && m.mediaType !== desc.mediaType) {
    throw new TsbuildError('TSB4102', `manifest ${desc.digest} says mediaType ${m.mediaType}, its descriptor ${desc.mediaType}`);
  }
  if (!m.config || !Array.isArray(m.layers)) throw fail(`manifest ${desc.digest} lacks config or layers`);
  if (!isConfigType(m.config.mediaType)) throw new TsbuildError('TSB4102', `config ${m.config.digest} has unsupported media type ${m.config.mediaType}`);
  await checkStored(content, m.config);
  const config = await content.readJson<ImageConfig>(m.config.digest, signal);
  if (typeof config.os !== 'string' || typeof config.architecture !== 'string') throw fail(`config ${m.config.digest} lacks os or architecture`);
  const diffIds = config.rootfs?.diff_ids;
  if (config.rootfs?.type !== 'layers' || !Array.isArray(diffIds)) throw fail(`config ${m.config.digest} lacks rootfs.diff_ids`);
  if (diffIds.length !== m.layers.length) {
    throw fail(`config ${m.config.digest} lists ${diffIds.length} diff_ids for ${m.layers.length} layers`);
  }
  for (const [i, layer] of m.layers.entries()) {
    throwIfAborted(signal);
    const compression = layerCompression(layer.mediaType);
    if (compression === undefined) throw new TsbuildError('TSB4102', `layer ${layer.digest} has unsupported media type ${layer.mediaType}`);
    await checkStored(content, layer);
    const { diffId } = await digestLayerTar(content, layer, { compression, ...(signal ? { signal } : {}) });
    if (diffId !== diffIds[i]) throw new TsbuildError('TSB4001', `layer ${i} (${layer.digest}) decompresses to ${diffId}, config lists ${String(diffIds[i])}`);
  }
}

/**
 * Checks a stored image (manifest or index, recursively): blob digests and sizes, media types,
 * one diff_id per layer, and each diff_id equal to the sha256 of the decompressed layer.
 */
export async function validateImage(content: ContentStore, manifest: Descriptor, signal?: AbortSignal): Promise<void> {
  await checkStored(content, manifest);
  if (isManifestType(manifest.mediaType)) return validateManifest(content, manifest, signal);
  if (!isIndexType(manifest.mediaType)) throw new TsbuildError('TSB4102', `${manifest.digest} has unsupported media type ${manifest.mediaType}`);
  const idx = await content.readJson<ImageIndex>(manifest.digest, signal);
  if (idx.schemaVersion !== 2 || !Array.isArray(idx.manifests)) throw fail(`index ${manifest.digest} is malformed`);
  for (const child of idx.manifests) await validateImage(content, child, signal);
}
