// Unpacks an image's layers into a chain of committed snapshots named by chain ID (shared by images).
import { randomBytes } from 'node:crypto';
import { sha256, TsbuildError, type Digest } from '../core/index.js';
import { applyLayer, openMaybeCompressed } from '../layer/index.js';
import type { WorkerDeps } from './deps.js';

interface ManifestDoc {
  config: { digest: Digest };
  layers: Array<{ digest: Digest; mediaType: string }>;
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

/** Returns the committed snapshot holding the image's filesystem (undefined for an image without layers). */
export function unpackImage(deps: WorkerDeps, manifestDigest: Digest, signal?: AbortSignal): Promise<string | undefined> {
  const k = `${manifestDigest}`;
  let p = inflight.get(k);
  if (!p) {
    p = doUnpack(deps, manifestDigest, signal).finally(() => inflight.delete(k));
    inflight.set(k, p);
  }
  return p;
}

async function doUnpack(deps: WorkerDeps, manifestDigest: Digest, signal?: AbortSignal): Promise<string | undefined> {
  const manifest = await deps.content.readJson<ManifestDoc>(manifestDigest);
  const config = await deps.content.readJson<ConfigDoc>(manifest.config.digest);
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new TsbuildError('TSB4005', `image ${manifestDigest}: ${manifest.layers.length} layers but ${diffIds.length} diff_ids`);
  }
  const chain = chainIds(diffIds);
  let parent: string | undefined;
  for (const [i, layer] of manifest.layers.entries()) {
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
