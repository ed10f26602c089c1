// Cache keys (blake3 over the op, input keys and the content the op reads) and record lookups.
import { blake3Hex, canonicalJson } from '../core/index.js';
import type { CachePreimage, CacheRecord, CacheStore } from '../content/index.js';
import path from 'node:path';
import { hashSelection, openRootfsSource, StatCache } from '../context/index.js';
import { withView } from './step.js';
import type { Op, Vertex } from '../graph/index.js';
import type { CacheLookup, OpResult } from '../solver/index.js';
import type { WorkerDeps } from './deps.js';
import { locate } from './locate.js';

export interface CacheDeps {
  worker: WorkerDeps;
  store: CacheStore;
  /** Stat caches of the build contexts, by context name. */
  statCaches: ReadonlyMap<string, StatCache>;
  /** Called for every step that misses, with its new and previous preimage. */
  onMiss?: (v: Vertex, now: CachePreimage, before: CacheRecord | undefined) => void;
  now?: () => Date;
  /** Where content hashes of committed snapshots are remembered (they never change). */
  snapshotHashDir?: string;
  /** Results imported with --cache-from, consulted when the local store misses. */
  remote?: { get(key: string): OpResult | undefined };
}

/** The op as it enters the key: everything that can change the result, nothing that cannot. */
function keyedOp(op: Op): Record<string, unknown> {
  if (op.type === 'exec') {
    // Secret mounts are keyed by id and target only; their contents never enter a key.
    return { ...op, mounts: op.mounts.map((m) => (m.type === 'secret' ? { type: m.type, id: m.id, target: m.target, env: m.env } : m)) };
  }
  return { ...op };
}

/** Context files an op reads: COPY/ADD sources and bind/cache mounts from a context. */
async function readFiles(d: CacheDeps, op: Op, signal: AbortSignal): Promise<Record<string, string> | undefined> {
  const reads: Array<{ context: string; sources: string[]; exclude: string[] }> = [];
  if (op.type === 'file' && op.action.kind === 'copy' && op.action.from.type === 'context' && op.action.sources.length > 0) {
    reads.push({ context: op.action.from.name, sources: op.action.sources, exclude: op.action.exclude });
  }
  if (op.type === 'exec') {
    for (const m of op.mounts) {
      if ((m.type === 'bind' || (m.type === 'cache' && m.from !== undefined)) && m.from?.type === 'context') {
        reads.push({ context: m.from.name, sources: [m.source], exclude: [] });
      }
    }
  }
  if (reads.length === 0) return undefined;
  let files: Record<string, string> | undefined;
  for (const r of reads) {
    const ctx = d.worker.contexts.get(r.context);
    const cache = d.statCaches.get(r.context);
    if (!ctx || !cache) continue;
    const prefix = r.context ? `${r.context}:` : '';
    const got = await hashSelection(ctx, r.sources, { exclude: r.exclude, cache, signal });
    // The common case, one read of the main context, needs no copy (100k entries are slow to copy).
    if (files === undefined && prefix === '') {
      files = got;
      continue;
    }
    files ??= {};
    for (const [k, v] of Object.entries(got)) files[prefix + k] = v;
  }
  return files ?? {};
}

/** Whether everything a record points at still exists (a record never outlives its data). */
async function usable(d: CacheDeps, rec: CacheRecord): Promise<boolean> {
  const r = rec.result;
  if (r.snapshot !== undefined && !(await d.worker.snapshotter.stat(r.snapshot))) return false;
  if (r.layer && !(await d.worker.content.has(r.layer.digest))) return false;
  if (r.image && !(await d.worker.content.has(r.image.manifest))) return false;
  return true;
}

/** For COPY --from: the content of exactly what the copy selects in the source step's filesystem. */
async function selectedFromInput(d: CacheDeps, v: Vertex, inputs: readonly OpResult[], signal: AbortSignal): Promise<Record<string, string> | undefined> {
  const op = v.op;
  if (op.type !== 'file' || op.action.kind !== 'copy' || op.action.from.type !== 'input') return undefined;
  const a = op.action;
  const index = a.from.type === 'input' ? a.from.index : 0;
  const src = inputs[index];
  const name = v.inputs[index]?.meta.stage || 'source';
  const cacheFile = src?.snapshot ? path.join(d.snapshotHashDir ?? '', `${src.snapshot}.json`) : undefined;
  const statCache = await StatCache.open(d.snapshotHashDir ? cacheFile : undefined);
  const got = await withView(d.worker, src, (dir) => hashSelection(openRootfsSource(dir), a.sources, { exclude: a.exclude, cache: statCache, signal }), signal);
  await statCache.save().catch(() => undefined);
  const files: Record<string, string> = {};
  for (const [k, h] of Object.entries(got)) files[`${name}:/${k}`] = h;
  return files;
}

/** Whether `k` is an array index, which JavaScript objects order numerically before other keys. */
function isIndexKey(k: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(k) && Number(k) < 2 ** 32 - 1;
}

/**
 * canonicalJson of a flat string → string map, byte for byte, without building a sorted copy
 * (a context of 100k files makes that copy the slowest part of the key). Index-like keys come
 * first in numeric order, as in any object canonicalJson builds.
 */
export function canonicalFlatJson(files: Readonly<Record<string, string>>): string {
  const keys0 = Object.keys(files);
  const keys = [...keys0].sort();
  const index = keys.filter(isIndexKey);
  const ordered = index.length === 0 ? keys : [...index.sort((a, b) => Number(a) - Number(b)), ...keys.filter((k) => !isIndexKey(k))];
  // A walk usually yields keys already in canonical order; then the map serializes as it is.
  if (ordered.every((k, i) => k === keys0[i] && files[k] !== undefined)) return JSON.stringify(files);
  const copy: Record<string, string> = {};
  for (const k of ordered) {
    const v = files[k];
    if (v !== undefined) copy[k] = v;
  }
  return JSON.stringify(copy);
}

/** blake3 of canonicalJson({ op, inputs, files }), with the (possibly huge) files map serialized directly. */
export function keyOf(pre: Pick<CachePreimage, 'op' | 'inputs' | 'files'>): string {
  // canonicalJson orders the top level as files, inputs, op.
  const files = pre.files ? canonicalFlatJson(pre.files) : 'null';
  return blake3Hex(`{"files":${files},"inputs":${canonicalJson(pre.inputs)},"op":${canonicalJson(pre.op)}}`);
}

export interface BuildCache extends CacheLookup {
  /** Starts hashing what these steps read from the build contexts, in the background. */
  prefetch(vertices: readonly Vertex[], signal: AbortSignal): void;
}

export function createCacheLookup(d: CacheDeps): BuildCache {
  const preimages = new Map<string, CachePreimage>();
  const reads = new Map<string, Promise<Record<string, string> | undefined>>();
  const now = d.now ?? (() => new Date());
  const filesOf = (v: Vertex, signal: AbortSignal): Promise<Record<string, string> | undefined> => {
    let p = reads.get(v.digest);
    if (!p) {
      p = readFiles(d, v.op, signal);
      reads.set(v.digest, p);
    }
    return p;
  };
  return {
    prefetch(vertices, signal) {
      // Errors surface later, when the step asks for its key; here they are only observed.
      for (const v of vertices) filesOf(v, signal).catch(() => undefined);
    },
    async key(v, inputKeys, signal) {
      const files = await locate(v, () => filesOf(v, signal));
      const pre: CachePreimage = {
        op: keyedOp(v.op), inputs: [...inputKeys], inputNames: v.inputs.map((i) => i.meta.name),
        ...(files ? { files } : {}),
      };
      const key = keyOf(pre);
      preimages.set(key, pre);
      return key;
    },
    async contentKey(v, inputKeys, inputs, signal) {
      const from = await locate(v, () => selectedFromInput(d, v, inputs, signal));
      if (!from) return undefined;
      // The source step's key is replaced by the content it contributes; the parent's stays.
      const pre: CachePreimage = {
        op: keyedOp(v.op), inputs: inputKeys.slice(0, 1), inputNames: v.inputs.slice(0, 1).map((i) => i.meta.name),
        files: from,
      };
      const key = `c${keyOf(pre)}`.slice(0, 64);
      preimages.set(key, pre);
      return key;
    },
    async get(key, v) {
      const rec = await d.store.get(key);
      if (rec && (await usable(d, rec))) {
        await d.store.touch(key, now());
        return { key: rec.aliasOf ?? key, result: rec.result };
      }
      if (rec) await d.store.delete(key);
      const imported = d.remote?.get(key);
      return imported ? { key, result: imported } : undefined;
    },
    async miss(v, key, contentKey) {
      if (!d.onMiss) return;
      const pre = preimages.get(key);
      const content = contentKey !== undefined ? preimages.get(contentKey) : undefined;
      if (!pre) return;
      // Explain with everything known: the files read from the context and from other stages.
      const merged: CachePreimage = content ? { ...pre, files: { ...(pre.files ?? {}), ...(content.files ?? {}) } } : pre;
      d.onMiss(v, merged, v.meta.step ? await d.store.latestForStep(v.meta.step) : undefined);
    },
    async put(key, v, result: OpResult, contentKey) {
      const pre = preimages.get(key);
      if (!pre) return;
      const content = contentKey !== undefined ? preimages.get(contentKey) : undefined;
      const t = now().toISOString();
      const rec: CacheRecord = {
        key, step: v.meta.step ?? v.digest, name: v.meta.name, text: v.meta.text,
        ...(v.meta.location ? { location: { file: v.meta.location.file, line: v.meta.location.line } } : {}),
        result: { ...(result.snapshot !== undefined ? { snapshot: result.snapshot } : {}), ...(result.layer ? { layer: result.layer } : {}), ...(result.image ? { image: result.image } : {}) },
        preimage: content ? { ...pre, files: { ...(pre.files ?? {}), ...(content.files ?? {}) } } : pre,
        size: result.layer?.size ?? 0, created: t, lastUsed: t,
      };
      if (contentKey !== undefined) await d.store.put({ ...rec, key: contentKey, aliasOf: key });
      await d.store.put(rec);
    },
  };
}
