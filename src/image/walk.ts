// Reachability: every blob an index or manifest needs, read (verified) from a content store.
import { TsbuildError, throwIfAborted, type Descriptor, type Digest, type Platform } from '../core/index.js';
import type { ContentStore } from '../content/index.js';
import { isIndexType, isManifestType } from './mediatypes.js';
import { selectManifest, formatPlatform } from './platform.js';
import type { ImageIndex, ImageManifest } from './types.js';

export async function readManifest(content: ContentStore, desc: Descriptor, signal?: AbortSignal): Promise<ImageManifest> {
  const m = await content.readJson<ImageManifest>(desc.digest, signal);
  if (!m || typeof m !== 'object' || !m.config || !Array.isArray(m.layers)) {
    throw new TsbuildError('TSB4005', `manifest ${desc.digest} lacks config or layers`);
  }
  return m;
}

export async function readIndex(content: ContentStore, desc: Descriptor, signal?: AbortSignal): Promise<ImageIndex> {
  const idx = await content.readJson<ImageIndex>(desc.digest, signal);
  if (!idx || typeof idx !== 'object' || !Array.isArray(idx.manifests)) {
    throw new TsbuildError('TSB4005', `index ${desc.digest} lacks a manifests list`);
  }
  return idx;
}

/** Blobs reachable from `root` (root first, then children), each once. */
export async function reachableBlobs(content: ContentStore, root: Descriptor, signal?: AbortSignal): Promise<Descriptor[]> {
  const seen = new Map<Digest, Descriptor>();
  const visit = async (d: Descriptor): Promise<void> => {
    throwIfAborted(signal);
    if (seen.has(d.digest)) return;
    seen.set(d.digest, d);
    if (isIndexType(d.mediaType)) {
      for (const child of (await readIndex(content, d, signal)).manifests) await visit(child);
    } else if (isManifestType(d.mediaType)) {
      const m = await readManifest(content, d, signal);
      await visit(m.config);
      for (const l of m.layers) await visit(l);
    }
  };
  await visit(root);
  return [...seen.values()];
}

/** Follows indexes down to one image manifest for `platform` (or the host default). */
export async function resolveManifest(
  content: ContentStore,
  desc: Descriptor,
  opts: { platform?: Platform; signal?: AbortSignal } = {},
): Promise<Descriptor> {
  let d = desc;
  for (let depth = 0; isIndexType(d.mediaType); depth++) {
    if (depth > 8) throw new TsbuildError('TSB4005', `index ${desc.digest} nests too deeply`);
    const idx = await readIndex(content, d, opts.signal);
    const next = selectManifest(idx.manifests, opts.platform);
    if (!next) {
      const want = opts.platform ? formatPlatform(opts.platform) : 'the host platform';
      throw new TsbuildError('TSB4105', `index ${d.digest} has no manifest for ${want}`);
    }
    d = next;
  }
  if (!isManifestType(d.mediaType)) throw new TsbuildError('TSB4102', `unsupported manifest media type ${d.mediaType} for ${d.digest}`);
  return d;
}

/** Fails unless the store holds `d` with the size its descriptor claims. */
export async function checkStored(content: ContentStore, d: Descriptor): Promise<void> {
  const info = await content.info(d.digest);
  if (!info) throw new TsbuildError('TSB4002', `blob ${d.digest} (${d.mediaType}) is not in the content store`);
  if (info.size !== d.size) {
    throw new TsbuildError('TSB4001', `blob ${d.digest} has ${info.size} bytes but its descriptor says ${d.size}`);
  }
}
