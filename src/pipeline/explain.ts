// `cache explain`: plans a build and computes every step's cache key without running any step.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { blake3Hex, TsbuildError, type Platform } from '../core/index.js';
import { CacheStore, ContentStore, RefStore, type CachePreimage, type CacheRecord } from '../content/index.js';
import { StatCache } from '../context/index.js';
import { topoOrder, type Vertex } from '../graph/index.js';
import { parseDockerfile, type ParseWarning } from '../parser/index.js';
import { hostPlatform, plan, type PlanWarning } from '../planner/index.js';
import type { Snapshotter } from '../snapshotter/index.js';
import type { OpResult } from '../solver/index.js';
import { createCacheLookup, explainMiss, type WorkerDeps } from '../worker/index.js';
import { openContexts } from './contexts.js';
import { readDockerfile } from './dockerfile.js';
import { openSnapshots } from './gc-plan.js';
import { acquireLease } from './lease.js';
import { createImageResolver } from './resolver.js';
import { storeLayout } from './store.js';

export interface ExplainOptions {
  root: string;
  /** Context directory. */
  context: string;
  /** Dockerfile path (relative to cwd); default `<context>/Dockerfile`. */
  file?: string;
  cwd: string;
  buildArgs: Record<string, string>;
  target?: string;
  buildContexts: string[];
  platform?: Platform;
  signal?: AbortSignal;
}

export interface StepExplanation {
  name: string;
  location?: { file: string; line: number };
  key: string;
  cached: boolean;
  /** Why the step would run (empty when cached). */
  reasons: string[];
  /** A COPY --from whose source stage runs: it may still hit once that stage's files are known. */
  uncertain?: boolean;
}

export interface ExplainResult {
  steps: StepExplanation[];
  warnings: Array<ParseWarning | PlanWarning>;
}

/** For COPY --from=<stage>: which input the files come from. */
function copySource(v: Vertex): number | undefined {
  const op = v.op;
  return op.type === 'file' && op.action.kind === 'copy' && op.action.from.type === 'input' ? op.action.from.index : undefined;
}

/** Lookups must not leave traces: no touch, no deletion of stale records, no writes. */
class ReadOnlyCacheStore extends CacheStore {
  override async put(): Promise<void> {}
  override async touch(): Promise<void> {}
  override async delete(): Promise<void> {}
}

function noSnapshots(): Snapshotter {
  const none = (): never => {
    throw new TsbuildError('TSB3009', 'the store holds no snapshots');
  };
  return {
    name: 'native', prepare: none, view: none, mounts: none, commit: none, remove: none, usage: none, diffSource: none, applyTarget: none,
    stat: async () => undefined,
    walk: async () => undefined,
  };
}

/**
 * Says, for every step of the build `o` describes, whether it would be served from the cache and
 * if not why. Keys depend only on the op, the input keys and the context files read, so the walk
 * needs no execution; a step below a changed one misses with "parent step changed".
 */
export async function explainBuild(o: ExplainOptions): Promise<ExplainResult> {
  // Content keys of COPY --from mount views of snapshots; GC must leave those alone meanwhile.
  const lease = await acquireLease(o.root);
  try {
    return await explainLeased(o);
  } finally {
    await lease.release();
  }
}

async function explainLeased(o: ExplainOptions): Promise<ExplainResult> {
  const layout = storeLayout(o.root);
  const content = new ContentStore(layout.content);
  const refs = new RefStore(layout.refs);
  const contextDir = path.resolve(o.cwd, o.context);
  if (!(await fsp.stat(contextDir).catch(() => undefined))?.isDirectory()) {
    throw new TsbuildError('TSB2108', `build context ${contextDir} is not a directory`);
  }
  const df = await readDockerfile(o, contextDir);
  const parsed = parseDockerfile(df.text, df.file);
  const { specs, contexts } = await openContexts(contextDir, df.file, o.buildContexts, o.cwd);
  const p = await plan(parsed.dockerfile, {
    buildArgs: o.buildArgs, platform: o.platform ?? hostPlatform(), buildPlatform: hostPlatform(), labels: {}, buildContexts: specs,
    created: new Date().toISOString(),
    images: createImageResolver({ content, refs, contexts: specs, ...(o.signal ? { signal: o.signal } : {}) }),
    ...(o.target !== undefined ? { target: o.target } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });

  const deps: WorkerDeps = {
    snapshotter: (await openSnapshots(layout)) ?? noSnapshots(), content, contexts, compression: 'gzip',
    tmpDir: layout.tmp, logDir: layout.logs, cacheMountsDir: layout.cacheMounts, secrets: new Map(), limits: {}, allowInsecure: false,
    executor: () => Promise.reject(new TsbuildError('TSB3014', 'cache explain never runs steps')),
  };
  const statCaches = new Map<string, StatCache>();
  // Opened for speed, never saved: explaining must not change the store.
  for (const [name, ctx] of contexts) statCaches.set(name, await StatCache.open(path.join(layout.statCache, `${blake3Hex(ctx.root).slice(0, 32)}.json`)));
  const misses = new Map<string, string[]>();
  const lookup = createCacheLookup({
    worker: deps, store: new ReadOnlyCacheStore(layout.root), statCaches,
    onMiss: (v: Vertex, now: CachePreimage, before: CacheRecord | undefined) => void misses.set(v.digest, explainMiss(v, now, before).reasons),
  });
  const signal = o.signal ?? new AbortController().signal;
  // Mirrors the solver's lookup sequence: key, then a content key where inputs' results are known.
  const solved = new Map<string, { key: string; result: OpResult | undefined }>();
  const steps: StepExplanation[] = [];
  for (const v of topoOrder([p.target.root])) {
    const inputs = v.inputs.map((i) => solved.get(i.digest));
    const inputKeys = inputs.map((i) => i?.key ?? '');
    const key = await lookup.key(v, inputKeys, signal);
    let hit = await lookup.get(key, v);
    let contentKey: string | undefined;
    const from = copySource(v);
    const fromKnown = from !== undefined && inputs[from]?.result !== undefined;
    if (!hit && lookup.contentKey && fromKnown) {
      contentKey = await lookup.contentKey(v, inputKeys, inputs.map((i) => i?.result ?? {}), signal);
      if (contentKey !== undefined) hit = await lookup.get(contentKey, v);
    }
    if (!hit) await lookup.miss?.(v, key, contentKey);
    solved.set(v.digest, hit ? { key: hit.key, result: hit.result } : { key, result: undefined });
    const reasons = hit ? [] : [...(misses.get(v.digest) ?? [])];
    // The solver would compare what the rebuilt stage yields for the copied paths: unknowable before running it.
    const uncertain = !hit && from !== undefined && !fromKnown;
    if (uncertain) reasons.push(`served from the cache anyway if ${v.inputs[from]?.meta.stage ? `stage "${v.inputs[from]?.meta.stage}"` : 'the source'} yields the same files for this copy`);
    steps.push({
      name: v.meta.name, key: hit?.key ?? key, cached: hit !== undefined, reasons, ...(uncertain ? { uncertain } : {}),
      ...(v.meta.location ? { location: { file: v.meta.location.file, line: v.meta.location.line } } : {}),
    });
  }
  return { steps, warnings: [...parsed.warnings, ...p.warnings] };
}
