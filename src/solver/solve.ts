// solve(): runs a vertex DAG in dependency order, independent vertices in parallel, each once.
import PQueue from 'p-queue';
import { abortError } from '../core/index.js';
import type { Vertex } from '../graph/index.js';
import type { CacheLookup, OpResult, OpRunner, ProgressSink } from './types.js';

export interface SolveOptions {
  runner: OpRunner;
  progress: ProgressSink;
  /** Parallel steps (default 2). */
  jobs?: number;
  cache?: CacheLookup;
  /** Vertices that must not be served from cache (--no-cache, --no-cache-filter). */
  noCache?: (v: Vertex) => boolean;
  /** Told about every vertex once it has a result (run or cached), with its cache key. */
  onSolved?: (v: Vertex, key: string, result: OpResult) => void;
  signal?: AbortSignal;
}

interface Solved {
  key: string;
  result: OpResult;
}

/**
 * Solves every root and returns the result of each vertex by digest. The first failure aborts
 * everything still running (through the shared AbortSignal) and is the error thrown.
 */
export async function solve(roots: readonly Vertex[], opts: SolveOptions): Promise<Map<string, OpResult>> {
  const queue = new PQueue({ concurrency: Math.max(1, opts.jobs ?? 2) });
  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (opts.signal?.aborted) onOuterAbort();
  const pending = new Map<string, Promise<Solved>>();
  const results = new Map<string, OpResult>();
  let firstError: unknown;

  const solveVertex = (v: Vertex): Promise<Solved> => {
    let p = pending.get(v.digest);
    if (!p) {
      p = (async () => {
        const inputs = await Promise.all(v.inputs.map(solveVertex));
        if (abort.signal.aborted) throw abortError(abort.signal);
        return queue.add(() => runOne(v, inputs), { signal: abort.signal }) as Promise<Solved>;
      })();
      p.catch((e: unknown) => {
        if (firstError === undefined) {
          firstError = e;
          abort.abort(e);
        }
      });
      pending.set(v.digest, p);
    }
    return p;
  };

  const runOne = async (v: Vertex, inputs: Solved[]): Promise<Solved> => {
    const signal = abort.signal;
    const inputResults = inputs.map((i) => i.result);
    const inputKeys = inputs.map((i) => i.key);
    const key = opts.cache ? await opts.cache.key(v, inputKeys, signal) : v.digest;
    let contentKey: string | undefined;
    if (opts.cache && !opts.noCache?.(v)) {
      let hit = await opts.cache.get(key, v);
      if (!hit && opts.cache.contentKey) {
        contentKey = await opts.cache.contentKey(v, inputKeys, inputResults, signal);
        if (contentKey !== undefined) hit = await opts.cache.get(contentKey, v);
      }
      if (hit) {
        opts.progress.emit({ type: 'step', id: v.digest, name: v.meta.name, status: 'cached' });
        results.set(v.digest, hit.result);
        opts.onSolved?.(v, hit.key, hit.result);
        return hit;
      }
      await opts.cache.miss?.(v, key, contentKey);
    }
    const started = Date.now();
    opts.progress.emit({ type: 'step', id: v.digest, name: v.meta.name, status: 'started' });
    try {
      const ran = await opts.runner.run(v, inputResults, {
        signal,
        log: (stream, data) => opts.progress.emit({ type: 'log', id: v.digest, stream, data: typeof data === 'string' ? data : data.toString('utf8') }),
      });
      const result: OpResult = { ...ran, created: ran.created ?? new Date().toISOString() };
      if (opts.cache) await opts.cache.put(key, v, result, contentKey);
      results.set(v.digest, result);
      opts.onSolved?.(v, key, result);
      opts.progress.emit({ type: 'step', id: v.digest, name: v.meta.name, status: 'done', durationMs: Date.now() - started });
      return { key, result };
    } catch (e) {
      const cancelled = signal.aborted && e !== signal.reason && firstError !== undefined;
      opts.progress.emit({
        type: 'step', id: v.digest, name: v.meta.name, status: 'error', durationMs: Date.now() - started,
        error: cancelled ? 'cancelled' : e instanceof Error ? e.message : String(e),
      });
      throw e;
    }
  };

  try {
    await Promise.allSettled(roots.map(solveVertex));
    if (firstError !== undefined) throw firstError;
    await Promise.all(roots.map(solveVertex));
    return results;
  } finally {
    opts.signal?.removeEventListener('abort', onOuterAbort);
    queue.clear();
    await queue.onIdle();
  }
}
