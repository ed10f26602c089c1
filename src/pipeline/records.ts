// Reading cache records for people: with the bytes each keeps alive, and lookup by key prefix.
import { TsbuildError } from '../core/index.js';
import { CacheStore, type CacheRecord } from '../content/index.js';
import { loadInventory, snapshotSize } from './gc-plan.js';
import { storeLayout } from './store.js';

export interface RecordUsage {
  record: CacheRecord;
  /** Allocated bytes of its layer blob and its snapshot's own layer (either may be shared). */
  diskSize: number;
}

/** Every cache record, most recently used first. */
export async function listCacheRecords(root: string): Promise<RecordUsage[]> {
  const inv = await loadInventory(root);
  const out: RecordUsage[] = [];
  for (const r of inv.records) {
    let diskSize = r.result.layer ? inv.blobs.get(r.result.layer.digest)?.size ?? 0 : 0;
    if (r.result.snapshot !== undefined && inv.snapshots.has(r.result.snapshot)) diskSize += await snapshotSize(inv, r.result.snapshot);
    out.push({ record: r, diskSize });
  }
  return out.sort((a, b) => Date.parse(b.record.lastUsed) - Date.parse(a.record.lastUsed) || a.record.key.localeCompare(b.record.key));
}

/** The record whose key starts with `prefix`: TSB4009 when none does, TSB4010 when several do. */
export async function findCacheRecord(root: string, prefix: string): Promise<CacheRecord> {
  const store = new CacheStore(storeLayout(root).root);
  const p = prefix.toLowerCase();
  const keys = await store.keysWithPrefix(p);
  if (keys.length > 1) {
    throw new TsbuildError('TSB4010', `cache key prefix "${prefix}" matches ${keys.length} records`, { detail: keys.slice(0, 10).join('\n') });
  }
  const rec = keys[0] === undefined ? undefined : await store.get(keys[0]);
  if (!rec) throw new TsbuildError('TSB4009', `no cache record has a key starting with "${prefix}"`);
  return rec;
}
