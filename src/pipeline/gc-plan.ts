// What GC would remove: an inventory of the store and the sweep plan computed from it (no changes).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isDigest, pidAlive, type Digest } from '../core/index.js';
import { CacheStore, ContentStore, RefStore, type CacheRecord, type RefEntry } from '../content/index.js';
import { createSnapshotter, type SnapshotInfo, type Snapshotter } from '../snapshotter/index.js';
import { treeSize } from './du.js';
import { liveLeases, type LeaseInfo } from './lease.js';
import { storeLayout, type StoreLayout } from './store.js';

/** Leases are judged by wall-clock times that file systems record a little coarsely. */
const LEASE_SLACK_MS = 1000;
/** An ingest file this fresh may belong to a writer that holds no lease (e.g. `image load`). */
const INGEST_GRACE_MS = 60_000;
/** RUN logs are kept this long unless `--all` or `--filter until` says otherwise. */
export const LOG_RETENTION_MS = 48 * 3600_000;

export interface Inventory {
  layout: StoreLayout;
  content: ContentStore;
  cache: CacheStore;
  snapshotter: Snapshotter | undefined;
  records: CacheRecord[];
  refs: RefEntry[];
  snapshots: Map<string, SnapshotInfo>;
  blobs: Map<Digest, { size: number; mtimeMs: number }>;
  /** Blobs tagged images need: manifest → config + layers, index → manifests. */
  refBlobs: Set<Digest>;
  leases: LeaseInfo[];
  now: number;
  /** Anything created or used at or after this instant (epoch ms) belongs to a running build. */
  horizon: number;
  /** Memoized sizes: blob closures of manifests, snapshot usage. */
  memo: { closures: Map<Digest, Digest[]>; snapshotSize: Map<string, number> };
}

export interface SweepPlan {
  records: CacheRecord[];
  /** Committed snapshots, children before parents. */
  snapshots: string[];
  /** Active snapshots and views left by builds that are gone. */
  actives: string[];
  blobs: Digest[];
  ingest: string[];
  cacheMounts: string[];
  logs: string[];
  tmp: string[];
  /** Remembered content hashes of snapshots that are gone or going. */
  hashCaches: string[];
  /** Estimated allocated bytes freed. */
  bytes: number;
  /** Bytes of dangling blobs spared because a build is running. */
  heldByLeases: number;
}

export interface SweepOptions {
  all: boolean;
  /** Logs and cache mounts last touched before this instant (epoch ms) may go. */
  cutoff: number;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** The snapshotter of a store, or undefined if the store never held a snapshot (nothing is created). */
export async function openSnapshots(layout: StoreLayout): Promise<Snapshotter | undefined> {
  const has = await fsp.stat(path.join(layout.snapshots, 'metadata.json')).catch(() => undefined);
  return has ? createSnapshotter({ kind: 'auto', root: layout.snapshots }) : undefined;
}

/** A manifest or index and every blob it names (config, layers, child manifests), tolerating gaps. */
async function closure(inv: Pick<Inventory, 'content' | 'memo' | 'blobs'>, d: Digest, depth = 0): Promise<Digest[]> {
  const hit = inv.memo.closures.get(d);
  if (hit) return hit;
  const out: Digest[] = [d];
  const info = inv.blobs.get(d);
  if (info && info.size < 16 * 1024 * 1024 && depth < 8) {
    const doc = await inv.content.readJson<{ manifests?: Array<{ digest?: string }>; config?: { digest?: string }; layers?: Array<{ digest?: string }> }>(d).catch(() => undefined);
    if (doc && typeof doc === 'object') {
      for (const m of Array.isArray(doc.manifests) ? doc.manifests : []) {
        if (typeof m?.digest === 'string' && isDigest(m.digest)) out.push(...(await closure(inv, m.digest, depth + 1)));
      }
      if (typeof doc.config?.digest === 'string' && isDigest(doc.config.digest)) out.push(doc.config.digest);
      for (const l of Array.isArray(doc.layers) ? doc.layers : []) if (typeof l?.digest === 'string' && isDigest(l.digest)) out.push(l.digest);
    }
  }
  inv.memo.closures.set(d, out);
  return out;
}

/** Blobs a cache record keeps alive. */
export async function recordBlobs(inv: Inventory, r: CacheRecord): Promise<Digest[]> {
  const out: Digest[] = [];
  if (r.result.layer) out.push(r.result.layer.digest);
  if (r.result.image) out.push(...(await closure(inv, r.result.image.manifest)));
  for (const l of r.result.chain ?? []) out.push(l.digest);
  return out;
}

export function isProtected(inv: Pick<Inventory, 'horizon'>, r: CacheRecord): boolean {
  return Date.parse(r.lastUsed) >= inv.horizon || Date.parse(r.created) >= inv.horizon;
}

/** Whether everything a record points at exists; a broken record is dangling data. */
export function isBroken(inv: Inventory, r: CacheRecord): boolean {
  if (r.result.snapshot !== undefined && !inv.snapshots.has(r.result.snapshot)) return true;
  if (r.result.layer && !inv.blobs.has(r.result.layer.digest)) return true;
  if (r.result.image && !inv.blobs.has(r.result.image.manifest)) return true;
  return false;
}

export async function snapshotSize(inv: Inventory, key: string): Promise<number> {
  const hit = inv.memo.snapshotSize.get(key);
  if (hit !== undefined) return hit;
  const size = inv.snapshotter ? (await inv.snapshotter.usage(key).catch(() => ({ size: 0 }))).size : 0;
  inv.memo.snapshotSize.set(key, size);
  return size;
}

export async function loadInventory(root: string, o: { now?: number } = {}): Promise<Inventory> {
  const layout = storeLayout(root);
  const now = o.now ?? Date.now();
  const leases = await liveLeases(layout.root);
  const horizon = leases.length === 0 ? now : Math.min(now, ...leases.map((l) => l.started)) - LEASE_SLACK_MS;
  const content = new ContentStore(layout.content);
  const cache = new CacheStore(layout.root);
  const snapshotter = await openSnapshots(layout);
  const snapshots = new Map<string, SnapshotInfo>();
  await snapshotter?.walk((s) => void snapshots.set(s.key, s));
  const blobs = new Map<Digest, { size: number; mtimeMs: number }>();
  for (const name of await readdirOrEmpty(content.blobsDir)) {
    const d = `sha256:${name}`;
    if (!isDigest(d)) continue;
    const st = await fsp.lstat(path.join(content.blobsDir, name)).catch(() => undefined);
    if (st?.isFile()) blobs.set(d, { size: st.blocks * 512, mtimeMs: st.mtimeMs });
  }
  const refs = await new RefStore(layout.refs).list();
  const records = await cache.list();
  const inv: Inventory = {
    layout, content, cache, snapshotter, records, refs, snapshots, blobs, refBlobs: new Set(), leases, now, horizon,
    memo: { closures: new Map(), snapshotSize: new Map() },
  };
  for (const r of refs) for (const d of await closure(inv, r.descriptor.digest)) inv.refBlobs.add(d);
  return inv;
}

function depthOf(snapshots: Map<string, SnapshotInfo>, key: string): number {
  let n = 0;
  for (let cur = snapshots.get(key)?.parent; cur !== undefined && n < 10_000; cur = snapshots.get(cur)?.parent) n++;
  return n;
}

async function fileSize(p: string): Promise<number> {
  const st = await fsp.lstat(p).catch(() => undefined);
  return st ? st.blocks * 512 : 0;
}

/** Entries of a directory last modified before `before`. */
async function olderThan(dir: string, before: number): Promise<string[]> {
  const out: string[] = [];
  for (const n of await readdirOrEmpty(dir)) {
    const st = await fsp.lstat(path.join(dir, n)).catch(() => undefined);
    if (st && st.mtimeMs < before) out.push(path.join(dir, n));
  }
  return out;
}

/** Scratch directories (`tmp/build-<pid>-…`) of builds whose process is gone. */
async function orphanTmp(inv: Inventory): Promise<string[]> {
  const out: string[] = [];
  for (const n of await readdirOrEmpty(inv.layout.tmp)) {
    const pid = Number(/^build-(\d+)-/.exec(n)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !pidAlive(pid)) out.push(path.join(inv.layout.tmp, n));
  }
  return out;
}

/** Everything that goes when `drop` records are deleted and the rest of the store is collected. */
export async function planSweep(inv: Inventory, drop: ReadonlySet<string>, o: SweepOptions): Promise<SweepPlan> {
  const leased = inv.leases.length > 0;
  const records = inv.records.filter((r) => drop.has(r.key) || (isBroken(inv, r) && !isProtected(inv, r)));
  const gone = new Set(records.map((r) => r.key));
  const remaining = inv.records.filter((r) => !gone.has(r.key));

  const keepSnap = new Set<string>();
  for (const r of remaining) if (r.result.snapshot !== undefined) keepSnap.add(r.result.snapshot);
  const actives: string[] = [];
  for (const s of inv.snapshots.values()) {
    const fresh = Date.parse(s.created) >= inv.horizon;
    // A running build may be about to stack on an unpacked base layer it found a moment ago.
    if (fresh || (leased && s.key.startsWith('layer-'))) keepSnap.add(s.key);
    else if (s.kind !== 'committed') actives.push(s.key);
  }
  for (const k of [...keepSnap]) {
    for (let p = inv.snapshots.get(k)?.parent; p !== undefined && !keepSnap.has(p); p = inv.snapshots.get(p)?.parent) keepSnap.add(p);
  }
  const snapshots = [...inv.snapshots.values()]
    .filter((s) => s.kind === 'committed' && !keepSnap.has(s.key))
    .map((s) => s.key)
    .sort((a, b) => depthOf(inv.snapshots, b) - depthOf(inv.snapshots, a));

  const keepBlob = new Set<Digest>(inv.refBlobs);
  for (const r of remaining) for (const d of await recordBlobs(inv, r)) keepBlob.add(d);
  const blobs: Digest[] = [];
  let heldByLeases = 0;
  for (const [d, info] of inv.blobs) {
    if (keepBlob.has(d) || info.mtimeMs >= inv.horizon) continue;
    // Layers are deduplicated by content, so a running build may be reusing any dangling blob.
    if (leased) heldByLeases += info.size;
    else blobs.push(d);
  }

  const ingest = await olderThan(inv.content.ingestDir, Math.min(inv.horizon, inv.now - INGEST_GRACE_MS));
  const cacheMounts = o.all && !leased ? await olderThan(inv.layout.cacheMounts, Math.min(o.cutoff, inv.horizon)) : [];
  const logs = await olderThan(inv.layout.logs, Math.min(o.cutoff, inv.horizon));
  const tmp = await orphanTmp(inv);
  const going = new Set([...snapshots, ...actives]);
  const hashDir = path.join(inv.layout.statCache, 'snapshots');
  const hashCaches = (await olderThan(hashDir, inv.horizon)).filter((p) => {
    const name = path.basename(p, '.json');
    return !inv.snapshots.has(name) || going.has(name);
  });

  let bytes = 0;
  for (const r of records) bytes += await fileSize(inv.cache.fileOf(r.key));
  for (const k of [...snapshots, ...actives]) bytes += await snapshotSize(inv, k);
  for (const d of blobs) bytes += inv.blobs.get(d)?.size ?? 0;
  for (const p of [...ingest, ...logs, ...hashCaches]) bytes += await fileSize(p);
  for (const p of [...cacheMounts, ...tmp]) bytes += await treeSize(p);
  return { records, snapshots, actives, blobs, ingest, cacheMounts, logs, tmp, hashCaches, bytes, heldByLeases };
}
