// Cache pruning and garbage collection: choose records (LRU), delete them, then collect what nothing needs.
import { promises as fsp, statfsSync } from 'node:fs';
import path from 'node:path';
import { readJsonFile, TsbuildError, throwIfAborted, writeFileAtomic } from '../core/index.js';
import { withLock, type CacheRecord } from '../content/index.js';
import { dropChunkIndex } from '../layer/index.js';
import { listMountPoints } from '../snapshotter/index.js';
import { measureStore, treeSize } from './du.js';
import { releaseMounts, storeMounts } from './gc-mounts.js';
import { isProtected, loadInventory, LOG_RETENTION_MS, planSweep, recordBlobs, type Inventory, type SweepPlan } from './gc-plan.js';
import { storeLayout } from './store.js';

export interface PruneOptions {
  root: string;
  /** Everything not needed by tagged images or running builds, not just dangling data. */
  all?: boolean;
  /** Delete least recently used records only until the store is at most this many bytes. */
  keepStorage?: number;
  /** Only records (and logs, cache mounts) unused for longer than this many milliseconds. */
  until?: number;
  /** Compute what would go, change nothing. */
  dryRun?: boolean;
  /** Give up (TSB4004) if another GC holds the lock longer than this. */
  lockTimeoutMs?: number;
  now?: Date;
  signal?: AbortSignal;
}

export interface PruneReport {
  /** Estimated allocated bytes freed. */
  reclaimed: number;
  records: number;
  snapshots: number;
  activeSnapshots: number;
  blobs: number;
  ingest: number;
  cacheMounts: number;
  logs: number;
  tmp: number;
  /** Mounts left by killed builds, unmounted. */
  mounts: number;
  /** Dangling blob bytes left in place because a build was running. */
  heldByLeases: number;
  /** Store size before, when it was measured (--keep-storage). */
  before?: number;
}

export interface StoreUsageReport {
  total: number;
  byKind: { blobs: number; snapshots: number; cacheMounts: number; logs: number; other: number };
  /** What `prune --all` would free now. */
  reclaimable: number;
  /** Blob bytes that tagged images and cache records both reference. */
  shared: number;
  records: number;
}

const GC_LOCK = 'gc.lock';

function emptyReport(): PruneReport {
  return { reclaimed: 0, records: 0, snapshots: 0, activeSnapshots: 0, blobs: 0, ingest: 0, cacheMounts: 0, logs: 0, tmp: 0, mounts: 0, heldByLeases: 0 };
}

/** Records the options make deletable, least recently used first. */
function eligible(inv: Inventory, o: PruneOptions): CacheRecord[] {
  if (!o.all && o.keepStorage === undefined && o.until === undefined) return [];
  const before = o.until === undefined ? Infinity : inv.now - o.until;
  return inv.records
    .filter((r) => !isProtected(inv, r) && Date.parse(r.lastUsed) < before)
    .sort((a, b) => Date.parse(a.lastUsed) - Date.parse(b.lastUsed) || Date.parse(a.created) - Date.parse(b.created) || a.key.localeCompare(b.key));
}

function sweepOptions(inv: Inventory, o: PruneOptions): { all: boolean; cutoff: number } {
  const cutoff = o.until !== undefined ? inv.now - o.until : o.all ? inv.now : inv.now - LOG_RETENTION_MS;
  return { all: Boolean(o.all), cutoff };
}

/** The shortest LRU prefix whose removal brings the store to `keep` bytes (freeing only grows with the prefix). */
async function chooseForKeep(inv: Inventory, list: CacheRecord[], o: PruneOptions, total: number, keep: number): Promise<Set<string>> {
  const sweep = sweepOptions(inv, o);
  const freed = async (k: number): Promise<number> => (await planSweep(inv, new Set(list.slice(0, k).map((r) => r.key)), sweep)).bytes;
  if (total - (await freed(0)) <= keep) return new Set();
  let lo = 1;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (total - (await freed(mid)) <= keep) hi = mid;
    else lo = mid + 1;
  }
  return new Set(list.slice(0, lo).map((r) => r.key));
}

/** A killed build may have left something mounted in its scratch space: never delete through a mount. */
function mountedBelow(mounts: readonly string[], dir: string): boolean {
  const prefix = `${path.resolve(dir)}/`;
  return mounts.some((m) => m === dir || m.startsWith(prefix));
}

/** Data removal after records are gone; every step re-checks against running builds. */
async function sweepData(root: string, o: PruneOptions, report: PruneReport): Promise<void> {
  // Mounts are listed before leases are read: a mount seen here whose build holds no lease then is orphaned.
  const leftMounts = await storeMounts(storeLayout(root).snapshots);
  const inv = await loadInventory(root, { now: o.now?.getTime() ?? Date.now() });
  if (inv.leases.length === 0) report.mounts += await releaseMounts(leftMounts);
  const plan: SweepPlan = await planSweep(inv, new Set(), sweepOptions(inv, o));
  // Records found broken now (their data vanished) go first, as always.
  for (const r of plan.records) await inv.cache.delete(r.key);
  report.records += plan.records.length;
  await inv.cache.sweepStepPointers();
  report.heldByLeases = plan.heldByLeases;
  const snap = inv.snapshotter;
  const sizes = inv.memo.snapshotSize;
  for (const k of plan.actives) {
    throwIfAborted(o.signal);
    if (!snap) break;
    const size = sizes.get(k) ?? 0;
    if (await snap.remove(k).then(() => true, () => false)) {
      report.activeSnapshots++;
      report.reclaimed += size;
    }
  }
  for (const k of plan.snapshots) {
    throwIfAborted(o.signal);
    if (!snap) break;
    const size = sizes.get(k) ?? 0;
    // Fails harmlessly when a build stacked a new snapshot on it meanwhile (TSB3011).
    if (await snap.remove(k).then(() => true, () => false)) {
      report.snapshots++;
      report.reclaimed += size;
    }
  }
  // Blobs last, and only if no build started meanwhile (it could be reusing any of them).
  const again = await loadInventory(root, { now: inv.now });
  if (again.leases.length === 0) {
    const keep = new Set(again.refBlobs);
    for (const r of again.records) for (const d of await recordBlobs(again, r)) keep.add(d);
    for (const d of plan.blobs) {
      const cur = again.blobs.get(d);
      if (!cur || keep.has(d) || cur.mtimeMs >= inv.horizon) continue;
      if (await inv.content.delete(d)) {
        // Its chunk records would only be dropped lazily on the next lookup otherwise.
        await dropChunkIndex(root, d).catch(() => undefined);
        report.blobs++;
        report.reclaimed += cur.size;
      }
    }
  } else report.heldByLeases += plan.blobs.reduce((a, d) => a + (inv.blobs.get(d)?.size ?? 0), 0);
  const mounts = await listMountPoints().catch(() => [] as string[]);
  const removeEach = async (paths: string[], key?: 'ingest' | 'logs' | 'tmp' | 'cacheMounts'): Promise<void> => {
    for (const p of paths) {
      if (mountedBelow(mounts, p)) continue;
      const size = await treeSize(p);
      await fsp.rm(p, { recursive: true, force: true });
      if (key) report[key]++;
      report.reclaimed += size;
    }
  };
  // Only hash caches whose snapshot is really gone now (a failed removal keeps its cache).
  const present = new Set(again.snapshots.keys());
  await removeEach(plan.hashCaches.filter((p) => !present.has(path.basename(p, '.json'))));
  await removeEach(plan.ingest, 'ingest');
  await removeEach(plan.logs, 'logs');
  await removeEach(plan.tmp, 'tmp');
  await removeEach(again.leases.length === 0 ? plan.cacheMounts : [], 'cacheMounts');
}

async function pruneLocked(o: PruneOptions): Promise<PruneReport> {
  const now = o.now?.getTime() ?? Date.now();
  const inv = await loadInventory(o.root, { now });
  const list = eligible(inv, o);
  const report = emptyReport();
  let drop = new Set(list.map((r) => r.key));
  if (o.keepStorage !== undefined) {
    const total = (await measureStore(o.root, o.signal)).total;
    report.before = total;
    drop = await chooseForKeep(inv, list, o, total, o.keepStorage);
  }
  if (o.dryRun) {
    const plan = await planSweep(inv, drop, sweepOptions(inv, o));
    return {
      ...report, reclaimed: plan.bytes, records: plan.records.length, snapshots: plan.snapshots.length, activeSnapshots: plan.actives.length,
      blobs: plan.blobs.length, ingest: plan.ingest.length, cacheMounts: plan.cacheMounts.length, logs: plan.logs.length, tmp: plan.tmp.length,
      heldByLeases: plan.heldByLeases,
    };
  }
  // Records go before anything they reference: a crash here leaves only unreferenced data.
  for (const r of list) {
    if (!drop.has(r.key)) continue;
    throwIfAborted(o.signal);
    const cur = await inv.cache.get(r.key);
    // A build may have just used it; it stays.
    if (!cur || isProtected(inv, cur) || cur.lastUsed !== r.lastUsed) continue;
    const size = (await fsp.lstat(inv.cache.fileOf(r.key)).catch(() => undefined))?.blocks ?? 0;
    await inv.cache.delete(r.key);
    report.records++;
    report.reclaimed += size * 512;
  }
  await sweepData(o.root, { ...o, now: new Date(now) }, report);
  return report;
}

/**
 * Prunes the build cache of the store at `o.root` (see PruneOptions) and collects everything no
 * remaining record, tagged image or running build needs. One GC at a time per store.
 */
export async function prune(o: PruneOptions): Promise<PruneReport> {
  const lock = path.join(storeLayout(o.root).root, GC_LOCK);
  if (o.dryRun) return pruneLocked(o);
  return withLock(lock, () => pruneLocked(o), {
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.lockTimeoutMs !== undefined ? { timeoutMs: o.lockTimeoutMs } : {}),
  });
}

/** 10% of the file system holding the store, at most 20 GiB. */
export async function defaultCacheCap(root: string): Promise<number> {
  let dir = path.resolve(root);
  for (;;) {
    try {
      const st = statfsSync(dir);
      return Math.min(Math.floor(st.blocks * st.bsize * 0.1), 20 * 1024 ** 3);
    } catch (e) {
      const up = path.dirname(dir);
      if (up === dir) throw new TsbuildError('TSB4005', `cannot determine the file system size for ${root}`, { cause: e });
      dir = up;
    }
  }
}

/**
 * After a build: if the store is larger than `maxSize` (default defaultCacheCap; 0 disables),
 * prunes least recently used records until it is not. Skips quietly when another GC runs.
 */
/** When the store was last measured, and its size then; lets auto-GC skip walking a store far under its cap. */
interface Measured {
  at: number;
  total: number;
}

const REMEASURE_MS = 10 * 60_000;

export async function autoGc(o: { root: string; maxSize?: number; signal?: AbortSignal; now?: number }): Promise<PruneReport | undefined> {
  const cap = o.maxSize ?? (await defaultCacheCap(o.root));
  if (cap <= 0) return undefined;
  const now = o.now ?? Date.now();
  const memoFile = path.join(path.resolve(o.root), 'gc-measured.json');
  const last = await readJsonFile<Measured>(memoFile).catch(() => undefined);
  // Walking a large store costs seconds; a recent measurement well under the cap is good enough.
  if (last && now - last.at >= 0 && now - last.at < REMEASURE_MS && last.total < cap / 2) return undefined;
  const size = await measureStore(o.root, o.signal);
  await writeFileAtomic(memoFile, JSON.stringify({ at: now, total: size.total } satisfies Measured)).catch(() => undefined);
  if (size.total <= cap) return undefined;
  try {
    return await prune({ root: o.root, keepStorage: cap, lockTimeoutMs: 0, ...(o.signal ? { signal: o.signal } : {}) });
  } catch (e) {
    if (e instanceof TsbuildError && e.code === 'TSB4004') return undefined;
    throw e;
  }
}

/** `cache du`: sizes by kind, what `prune --all` would free, and what images and cache share. */
export async function storeUsage(root: string, signal?: AbortSignal): Promise<StoreUsageReport> {
  const size = await measureStore(root, signal);
  const inv = await loadInventory(root);
  const fromRecords = new Set<string>();
  for (const r of inv.records) for (const d of await recordBlobs(inv, r)) fromRecords.add(d);
  let shared = 0;
  for (const d of inv.refBlobs) if (fromRecords.has(d)) shared += inv.blobs.get(d)?.size ?? 0;
  const all = await prune({ root, all: true, dryRun: true, ...(signal ? { signal } : {}) });
  return { total: size.total, byKind: size.byKind, reclaimable: all.reclaimed, shared, records: inv.records.length };
}
