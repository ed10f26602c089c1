// Unpacks an image's layers into a chain of committed snapshots named by chain ID (shared by images).
import { randomBytes } from 'node:crypto';
import { sha256, TsbuildError, type Digest } from '../core/index.js';
import { applyLayer, openMaybeCompressed } from '../layer/index.js';
import type { LayerInfo } from '../solver/index.js';
import type { WorkerDeps } from './deps.js';

interface ManifestDoc {
  config: { digest: Digest };
  layers: Array<{ digest: Digest; mediaType: string; size: number }>;
}
interface ConfigDoc {
  rootfs?: { diff_ids?: Digest[] };
}

export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : sha256(`${prev} ${d}`));
  }
  return out;
}

const inflight = new Map<string, Promise<string | undefined>>();

/** Layers of an image in order, with their diff IDs (from the manifest and the config). */
export async function imageLayers(deps: WorkerDeps, manifestDigest: Digest): Promise<LayerInfo[]> {
  const manifest = await deps.content.readJson<ManifestDoc>(manifestDigest);
  const config = await deps.content.readJson<ConfigDoc>(manifest.config.digest);
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new TsbuildError('TSB4005', `image ${manifestDigest}: ${manifest.layers.length} layers but ${diffIds.length} diff_ids`);
  }
  return manifest.layers.map((l, i) => ({ digest: l.digest, diffId: diffIds[i] as Digest, size: l.size, mediaType: l.mediaType }));
}

/** Returns the committed snapshot holding the image's filesystem (undefined for an image without layers). */
export async function unpackImage(deps: WorkerDeps, manifestDigest: Digest, signal?: AbortSignal): Promise<string | undefined> {
  return unpackLayers(deps, await imageLayers(deps, manifestDigest), signal);
}

/** Applies `layers` in order as a chain of snapshots named by chain ID; existing ones are reused. */
export function unpackLayers(deps: WorkerDeps, layers: readonly LayerInfo[], signal?: AbortSignal): Promise<string | undefined> {
  if (layers.length === 0) return Promise.resolve(undefined);
  const chain = chainIds(layers.map((l) => l.diffId));
  const k = chain[chain.length - 1] ?? '';
  let p = inflight.get(k);
  if (!p) {
    p = doUnpack(deps, layers, chain, signal).finally(() => inflight.delete(k));
    inflight.set(k, p);
  }
  return p;
}

async function doUnpack(deps: WorkerDeps, layers: readonly LayerInfo[], chain: Digest[], signal?: AbortSignal): Promise<string | undefined> {
  const missing: LayerInfo[] = [];
  for (const [i, l] of layers.entries()) if (!(await deps.snapshotter.stat(`layer-${(chain[i] ?? '').slice(7)}`))) missing.push(l);
  if (missing.length > 0 && deps.ensureBlobs) await deps.ensureBlobs(missing, signal);
  let parent: string | undefined;
  for (const [i, layer] of layers.entries()) {
    const name = `layer-${(chain[i] ?? '').slice(7)}`;
    if (!(await deps.snapshotter.stat(name))) await unpackLayer(deps, { name, parent, digest: layer.digest, ...(signal ? { signal } : {}) });
    parent = name;
  }
  return parent;
}

async function unpackLayer(deps: WorkerDeps, o: { name: string; parent: string | undefined; digest: Digest; signal?: AbortSignal }): Promise<void> {
  const key = `unpack-${randomBytes(6).toString('hex')}`;
  await deps.snapshotter.prepare(key, o.parent);
  try {
    const target = await deps.snapshotter.applyTarget(key);
    const tar = await openMaybeCompressed(deps.content.readStream(o.digest, { verify: true }));
    await applyLayer(tar, target.dir, { format: target.format, ...(o.signal ? { signal: o.signal } : {}) });
    try {
      await deps.snapshotter.commit(o.name, key);
    } catch (e) {
      // Another build may have unpacked the same layer meanwhile: theirs is as good as ours.
      if (!(await deps.snapshotter.stat(o.name))) throw e;
      await deps.snapshotter.remove(key);
    }
  } catch (e) {
    await deps.snapshotter.remove(key).catch(() => undefined);
    throw e;
  }
}
