// Disk usage of the store counted like `du -s --block-size=1`: allocated blocks, each inode once.
import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { throwIfAborted } from '../core/index.js';

export type UsageKind = 'blobs' | 'snapshots' | 'cacheMounts' | 'logs' | 'other';

export interface StoreSize {
  /** Allocated bytes under the root, the root directory itself included. */
  total: number;
  byKind: Record<UsageKind, number>;
}

/** Inodes already counted: du counts a hard-linked file once, wherever it is met first. */
export type SeenInodes = Set<string>;

const KIND_OF_TOP: Record<string, UsageKind> = { blobs: 'blobs', snapshots: 'snapshots', 'cache-mounts': 'cacheMounts', logs: 'logs' };

function allocated(st: Stats): number {
  return st.blocks * 512;
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fsp.lstat(p);
  } catch (e) {
    // Concurrent builds create and remove files while we count.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Allocated bytes of a file or tree (0 when it does not exist). */
export async function treeSize(p: string, o: { seen?: SeenInodes; signal?: AbortSignal } = {}): Promise<number> {
  const seen = o.seen ?? new Set<string>();
  const st = await lstatOrUndefined(p);
  if (!st) return 0;
  if (st.nlink > 1 && !st.isDirectory()) {
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) return 0;
    seen.add(id);
  }
  let size = allocated(st);
  if (!st.isDirectory()) return size;
  throwIfAborted(o.signal);
  let names: string[];
  try {
    names = await fsp.readdir(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return size;
    throw e;
  }
  // Bounded fan-out: wide directories would otherwise start thousands of stats at once.
  const CHUNK = 64;
  for (let i = 0; i < names.length; i += CHUNK) {
    const sizes = await Promise.all(names.slice(i, i + CHUNK).map((n) => treeSize(path.join(p, n), { seen, ...(o.signal ? { signal: o.signal } : {}) })));
    for (const s of sizes) size += s;
  }
  return size;
}

/** The whole store, split by what each top-level directory holds. */
export async function measureStore(root: string, signal?: AbortSignal): Promise<StoreSize> {
  const r = path.resolve(root);
  const byKind: Record<UsageKind, number> = { blobs: 0, snapshots: 0, cacheMounts: 0, logs: 0, other: 0 };
  const st = await lstatOrUndefined(r);
  if (!st) return { total: 0, byKind };
  byKind.other += allocated(st);
  const seen: SeenInodes = new Set();
  for (const name of (await fsp.readdir(r)).sort()) {
    const kind = KIND_OF_TOP[name] ?? 'other';
    byKind[kind] += await treeSize(path.join(r, name), { seen, ...(signal ? { signal } : {}) });
  }
  const total = Object.values(byKind).reduce((a, b) => a + b, 0);
  return { total, byKind };
}
