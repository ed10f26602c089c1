// Cache keys (blake3 over the op, input keys and the content the op reads) and record lookups.
import { blake3Hex, canonicalJson } from '../core/index.js';
import type { CachePreimage, CacheRecord, CacheStore } from '../content/index.js';
import path from 'node:path';
import { digestSelection, filesDigest, openRootfsSource, StatCache, type SelectionDigest } from '../context/index.js';
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

/** Files a step reads: their digest enters the key, the map itself only explanations. */
type FileSet = SelectionDigest;

/** Several reads as one set: keys prefixed by context name; the digest covers each part's digest. */
function combine(parts: ReadonlyArray<{ prefix: string; set: FileSet }>): FileSet {
  let files: Promise<Record<string, string>> | undefined;
  const load = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const p of parts) for (const [k, v] of Object.entries(await p.set.files())) out[p.prefix + k] = v;
    return out;
  };
  return { digest: blake3Hex(JSON.stringify(parts.map((p) => [p.prefix, p.set.digest]))), files: () => (files ??= load()) };
}

/** Context files an op reads: COPY/ADD sources and bind/cache mounts from a context. */
async function readFiles(d: CacheDeps, op: Op, signal: AbortSignal): Promise<FileSet | undefined> {
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
  const parts: Array<{ prefix: string; set: FileSet }> = [];
  for (const r of reads) {
    const ctx = d.worker.contexts.get(r.context);
    const cache = d.statCaches.get(r.context);
    if (!ctx || !cache) continue;
    parts.push({ prefix: r.context ? `${r.context}:` : '', set: await digestSelection(ctx, r.sources, { exclude: r.exclude, cache, signal }) });
  }
  // The common case, one read of the main context, is its selection as it is.
  const [only] = parts;
  return parts.length === 1 && only?.prefix === '' ? only.set : combine(parts);
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
async function selectedFromInput(d: CacheDeps, v: Vertex, inputs: readonly OpResult[], signal: AbortSignal): Promise<FileSet | undefined> {
  const op = v.op;
  if (op.type !== 'file' || op.action.kind !== 'copy' || op.action.from.type !== 'input') return undefined;
  const a = op.action;
  const index = a.from.type === 'input' ? a.from.index : 0;
  const src = inputs[index];
  const name = v.inputs[index]?.meta.stage || 'source';
  const cacheFile = src?.snapshot ? path.join(d.snapshotHashDir ?? '', `${src.snapshot}.json`) : undefined;
  const statCache = await StatCache.open(d.snapshotHashDir ? cacheFile : undefined);
  // The view is gone afterwards: the files map is built while it is mounted.
  const got = await withView(d.worker, src, async (dir) => {
    const sel = await digestSelection(openRootfsSource(dir), a.sources, { exclude: a.exclude, cache: statCache, signal });
    const files = await sel.files();
    return { digest: sel.digest, files: async () => files };
  }, signal);
  await statCache.save().catch(() => undefined);
  return combine([{ prefix: `${name}:/`, set: got }]);
}

/** The files a preimage records, or their digest when only that is known. */
type KeyPreimage = Pick<CachePreimage, 'op' | 'inputs' | 'files' | 'filesDigest'>;

/**
 * blake3 of canonicalJson({ op, inputs, files }), where `files` is the digest of the files map
 * (filesDigest) rather than the map: the key of a 100k-file COPY then costs no serialization.
 */
export function keyOf(pre: KeyPreimage): string {
  const files = pre.filesDigest ?? (pre.files ? filesDigest(pre.files) : null);
  return blake3Hex(canonicalJson({ files, inputs: pre.inputs, op: pre.op }));
}

export interface BuildCache extends CacheLookup {
  /** Starts hashing what these steps read from the build contexts, in the background. */
  prefetch(vertices: readonly Vertex[], signal: AbortSignal): void;
  /** Waits for the last-used marks of the records that hit (they are written in the background). */
  settle(): Promise<void>;
}

/** A key's preimage as computed: the files only as a set that can produce its map. */
interface Computed {
  pre: CachePreimage;
  files?: FileSet;
}

export function createCacheLookup(d: CacheDeps): BuildCache {
  const preimages = new Map<string, Computed>();
  const reads = new Map<string, Promise<FileSet | undefined>>();
  const now = d.now ?? (() => new Date());
  const filesOf = (v: Vertex, signal: AbortSignal): Promise<FileSet | undefined> => {
    let p = reads.get(v.digest);
    if (!p) {
      p = readFiles(d, v.op, signal);
      reads.set(v.digest, p);
    }
    return p;
  };
  /** The full preimage for explanations and records: both keys' files, as maps. */
  const fullPreimage = async (key: string, contentKey: string | undefined): Promise<CachePreimage | undefined> => {
    const c = preimages.get(key);
    if (!c) return undefined;
    const content = contentKey !== undefined ? preimages.get(contentKey) : undefined;
    if (!c.files && !content?.files) return c.pre;
    const files = { ...((await c.files?.files()) ?? {}), ...((await content?.files?.files()) ?? {}) };
    return { ...c.pre, files };
  };
  const touches: Array<Promise<void>> = [];
  return {
    async settle() {
      await Promise.all(touches.splice(0));
    },
    prefetch(vertices, signal) {
      // Errors surface later, when the step asks for its key; here they are only observed.
      for (const v of vertices) filesOf(v, signal).catch(() => undefined);
    },
    async key(v, inputKeys, signal) {
      const files = await locate(v, () => filesOf(v, signal));
      const pre: CachePreimage = {
        op: keyedOp(v.op), inputs: [...inputKeys], inputNames: v.inputs.map((i) => i.meta.name),
        ...(files ? { filesDigest: files.digest } : {}),
      };
      const key = keyOf(pre);
      preimages.set(key, { pre, ...(files ? { files } : {}) });
      return key;
    },
    async contentKey(v, inputKeys, inputs, signal) {
      const from = await locate(v, () => selectedFromInput(d, v, inputs, signal));
      if (!from) return undefined;
      // The source step's key is replaced by the content it contributes; the parent's stays.
      const pre: CachePreimage = {
        op: keyedOp(v.op), inputs: inputKeys.slice(0, 1), inputNames: v.inputs.slice(0, 1).map((i) => i.meta.name),
        filesDigest: from.digest,
      };
      const key = `c${keyOf(pre)}`.slice(0, 64);
      preimages.set(key, { pre, files: from });
      return key;
    },
    async get(key) {
      const rec = await d.store.get(key, { files: false });
      if (rec && (await usable(d, rec))) {
        // Marking the record used is off the critical path: `settle` waits for it.
        touches.push(d.store.touch(key, now()).catch(() => undefined));
        return { key: rec.aliasOf ?? key, result: rec.result };
      }
      if (rec) await d.store.delete(key);
      const imported = d.remote?.get(key);
      return imported ? { key, result: imported } : undefined;
    },
    async miss(v, key, contentKey) {
      if (!d.onMiss) return;
      // Explain with everything known: the files read from the context and from other stages.
      const merged = await fullPreimage(key, contentKey);
      if (!merged) return;
      d.onMiss(v, merged, v.meta.step ? await d.store.latestForStep(v.meta.step) : undefined);
    },
    async put(key, v, result: OpResult, contentKey) {
      const pre = await fullPreimage(key, contentKey);
      if (!pre) return;
      const t = now().toISOString();
      const rec: CacheRecord = {
        key, step: v.meta.step ?? v.digest, name: v.meta.name, text: v.meta.text,
        ...(v.meta.location ? { location: { file: v.meta.location.file, line: v.meta.location.line } } : {}),
        result: {
          ...(result.snapshot !== undefined ? { snapshot: result.snapshot } : {}), ...(result.layer ? { layer: result.layer } : {}), ...(result.image ? { image: result.image } : {}),
          ...(result.created !== undefined ? { created: result.created } : {}),
        },
        preimage: pre,
        size: result.layer?.size ?? 0, created: t, lastUsed: t,
      };
      if (contentKey !== undefined) await d.store.put({ ...rec, key: contentKey, aliasOf: key });
      await d.store.put(rec);
    },
  };
}
