// Scheduler tests with counting fake vertices: order, dedup, parallelism, cancellation.
import { describe, expect, it } from 'vitest';
import { vertex, type Op, type Vertex } from '../graph/index.js';
import { solve } from './solve.js';
import type { OpResult, OpRunner, ProgressEvent } from './types.js';

function fileVertex(name: string, inputs: Vertex[] = []): Vertex {
  const op: Op = { type: 'file', action: { kind: 'mkdir', path: `/${name}` } };
  return vertex(op, inputs, { name, stage: '', text: name });
}

function fakeRunner(behaviour: (v: Vertex, signal: AbortSignal) => Promise<void> = async () => undefined) {
  const runs: string[] = [];
  let active = 0;
  let maxActive = 0;
  const runner: OpRunner = {
    async run(v, inputs): Promise<OpResult> {
      runs.push(v.meta.name);
      active++;
      maxActive = Math.max(maxActive, active);
      try {
        await behaviour(v, new AbortController().signal);
        return { snapshot: `${v.meta.name}(${inputs.map((i) => i.snapshot).join(',')})` };
      } finally {
        active--;
      }
    },
  };
  return { runner, runs, max: () => maxActive };
}

const sink = (events: ProgressEvent[] = []) => ({ emit: (e: ProgressEvent) => void events.push(e) });

describe('solve', () => {
  it('runs inputs before the vertices that use them, each vertex once', async () => {
    const a = fileVertex('a');
    const b = fileVertex('b', [a]);
    const c = fileVertex('c', [a]);
    const d = fileVertex('d', [b, c]);
    const f = fakeRunner();
    const res = await solve([d, d], { runner: f.runner, progress: sink(), jobs: 4 });
    expect(f.runs.filter((r) => r === 'a')).toHaveLength(1);
    expect(f.runs.indexOf('a')).toBeLessThan(f.runs.indexOf('b'));
    expect(f.runs[f.runs.length - 1]).toBe('d');
    expect(res.get(d.digest)?.snapshot).toBe('d(b(a()),c(a()))');
  });

  it('runs independent vertices in parallel up to --jobs', async () => {
    const leaves = ['x', 'y', 'z'].map((n) => fileVertex(n));
    const root = fileVertex('root', leaves);
    const f = fakeRunner(() => new Promise((r) => setTimeout(r, 50)));
    await solve([root], { runner: f.runner, progress: sink(), jobs: 2 });
    expect(f.max()).toBe(2);
    const g = fakeRunner(() => new Promise((r) => setTimeout(r, 50)));
    await solve([root], { runner: g.runner, progress: sink(), jobs: 1 });
    expect(g.max()).toBe(1);
  });

  it('reports the first failure and cancels the rest', async () => {
    const slow = fileVertex('slow');
    const bad = fileVertex('bad');
    const after = fileVertex('after', [slow, bad]);
    const events: ProgressEvent[] = [];
    let slowAborted = false;
    const runner: OpRunner = {
      async run(v, _inputs, ctx): Promise<OpResult> {
        if (v.meta.name === 'bad') throw new Error('boom');
        if (v.meta.name === 'slow') {
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 5000);
            ctx.signal.addEventListener('abort', () => {
              slowAborted = true;
              clearTimeout(t);
              resolve();
            });
          });
          throw new Error('aborted');
        }
        return {};
      },
    };
    const started = Date.now();
    await expect(solve([after], { runner, progress: sink(events), jobs: 4 })).rejects.toThrow('boom');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(slowAborted).toBe(true);
    expect(events.some((e) => e.type === 'step' && e.id === after.digest)).toBe(false);
  });

  it('serves cached results without running them', async () => {
    const a = fileVertex('a');
    const b = fileVertex('b', [a]);
    const store = new Map<string, OpResult>();
    const cache = {
      key: async (v: Vertex, inputKeys: readonly string[]) => `${v.digest}:${inputKeys.join(',')}`,
      get: async (k: string) => {
        const result = store.get(k);
        return result ? { key: k, result } : undefined;
      },
      put: async (k: string, _v: Vertex, r: OpResult) => void store.set(k, r),
    };
    const f1 = fakeRunner();
    await solve([b], { runner: f1.runner, progress: sink(), cache });
    const f2 = fakeRunner();
    const events: ProgressEvent[] = [];
    await solve([b], { runner: f2.runner, progress: sink(events), cache });
    expect(f1.runs).toEqual(['a', 'b']);
    expect(f2.runs).toEqual([]);
    expect(events.filter((e) => e.type === 'step').map((e) => (e.type === 'step' ? e.status : ''))).toEqual(['cached', 'cached']);
  });
});
