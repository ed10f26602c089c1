// Public face of worker: implements source, file and exec ops on snapshotter + executor + content.
import type { Vertex } from '../graph/index.js';
import type { OpResult, OpRunner, RunContext } from '../solver/index.js';
import type { WorkerDeps } from './deps.js';
import { runExecOp } from './exec.js';
import { runFileOp } from './file.js';
import { locate } from './locate.js';

export type { WorkerDeps } from './deps.js';
export { unpackImage, unpackLayers, imageLayers, chainIds } from './unpack.js';
export { snapshotOf, withView } from './step.js';
export { resolveUser, resolveChown } from './user.js';
export { createCacheLookup, type BuildCache, type CacheDeps } from './cache.js';
export { explainMiss, type MissExplanation } from './explain.js';

export function createWorker(deps: WorkerDeps): OpRunner {
  return {
    async run(v: Vertex, inputs: readonly OpResult[], ctx: RunContext): Promise<OpResult> {
      return locate(v, () => runOp(deps, v, inputs, ctx));
    },
  };
}

async function runOp(deps: WorkerDeps, v: Vertex, inputs: readonly OpResult[], ctx: RunContext): Promise<OpResult> {
  const op = v.op;
  switch (op.type) {
    case 'source':
      return op.manifest ? { image: { manifest: op.manifest } } : {};
    case 'file':
      return runFileOp(deps, op, inputs, ctx.signal);
    case 'exec':
      return runExecOp(deps, v, op, inputs, ctx);
  }
}
