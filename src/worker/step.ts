// The shape every filesystem-changing step shares: prepare on the parent, change, diff, commit.
import { randomBytes } from 'node:crypto';
import { chunkIndexAt, diffOverlayUpper, diffTrees, writeLayer } from '../layer/index.js';
import { withMounts } from '../snapshotter/index.js';
import type { LayerInfo, OpResult } from '../solver/index.js';
import type { WorkerDeps } from './deps.js';
import { unpackImage, unpackLayers } from './unpack.js';

/** The committed snapshot behind a result, unpacking a base image on first use. */
export async function snapshotOf(deps: WorkerDeps, r: OpResult | undefined, signal?: AbortSignal): Promise<string | undefined> {
  if (!r) return undefined;
  if (r.snapshot !== undefined) return r.snapshot;
  if (r.image) return unpackImage(deps, r.image.manifest, signal);
  if (r.chain) return unpackLayers(deps, r.chain, signal);
  return undefined;
}

/** Mounts a read-only view of a result's filesystem for the duration of `fn`. */
export async function withView<T>(deps: WorkerDeps, r: OpResult | undefined, fn: (dir: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const parent = await snapshotOf(deps, r, signal);
  const key = `view-${randomBytes(6).toString('hex')}`;
  const mounts = await deps.snapshotter.view(key, parent);
  try {
    return await withMounts(mounts, fn, { tmpDir: deps.tmpDir, ...(signal ? { signal } : {}) });
  } finally {
    await deps.snapshotter.remove(key).catch(() => undefined);
  }
}

/**
 * Runs `change` on a writable mount of a new snapshot over `parent`, then turns the change into a
 * layer and commits the snapshot. Nothing is committed when `change` fails.
 */
export async function layerStep(
  deps: WorkerDeps,
  parent: OpResult | undefined,
  change: (root: string) => Promise<void>,
  o: { signal: AbortSignal; skip?: (relPath: string) => boolean },
): Promise<OpResult> {
  const parentSnap = await snapshotOf(deps, parent, o.signal);
  const key = `active-${randomBytes(6).toString('hex')}`;
  const mounts = await deps.snapshotter.prepare(key, parentSnap);
  try {
    await withMounts(mounts, change, { signal: o.signal, tmpDir: deps.tmpDir });
    const src = await deps.snapshotter.diffSource(key);
    const diffOpts = {
      signal: o.signal,
      ...(deps.sourceDateEpoch !== undefined ? { sourceDateEpoch: deps.sourceDateEpoch } : {}),
      ...(o.skip ? { skip: o.skip } : {}),
    };
    const tar = src.kind === 'overlay' ? diffOverlayUpper(src.upper, { ...diffOpts, lowers: src.lowers }) : diffTrees(src.lower, src.upper, diffOpts);
    const written = await writeLayer(tar, {
      compression: deps.compression,
      sink: (s) => deps.content.ingest(s, { signal: o.signal }),
      signal: o.signal,
      // Unchanged chunks of earlier layers are copied, not recompressed (same bytes either way).
      chunkIndex: chunkIndexAt(deps.content.root, (d) => deps.content.path(d)),
    });
    const name = `step-${randomBytes(8).toString('hex')}`;
    await deps.snapshotter.commit(name, key);
    const layer: LayerInfo = { digest: written.digest, diffId: written.diffId, size: written.size, mediaType: written.mediaType };
    return written.empty ? { snapshot: name } : { snapshot: name, layer };
  } catch (e) {
    await deps.snapshotter.remove(key).catch(() => undefined);
    throw e;
  }
}
