// The layer chain behind every solved step, for exporting the cache to another machine.
import type { Vertex } from '../graph/index.js';
import type { LayerInfo, OpResult } from '../solver/index.js';
import { imageLayers, type WorkerDeps } from '../worker/index.js';
import type { ExportedRecord } from './cache-io.js';

/**
 * One record per solved step: its key, its own layer, and every layer from the base up to it
 * (for FROM, the base image's layers). `only` limits the steps exported (mode=min: the target
 * stage's steps); FROM steps are always kept, they cost no blob of their own.
 */
export async function exportedRecords(
  deps: WorkerDeps,
  solved: ReadonlyArray<{ v: Vertex; key: string; result: OpResult }>,
  only?: ReadonlySet<string>,
): Promise<ExportedRecord[]> {
  const byDigest = new Map(solved.map((s) => [s.v.digest, s]));
  const chains = new Map<string, Promise<LayerInfo[]>>();
  const chainOf = (v: Vertex): Promise<LayerInfo[]> => {
    let p = chains.get(v.digest);
    if (!p) {
      p = (async () => {
        const r = byDigest.get(v.digest)?.result;
        if (v.op.type === 'source') return v.op.manifest ? imageLayers(deps, v.op.manifest) : [];
        if (r?.chain) return r.chain;
        const parent = v.inputs[0] ? await chainOf(v.inputs[0]) : [];
        return r?.layer ? [...parent, r.layer] : parent;
      })();
      chains.set(v.digest, p);
    }
    return p;
  };
  const out: ExportedRecord[] = [];
  for (const s of solved) {
    if (only && !only.has(s.v.digest) && s.v.op.type !== 'source') continue;
    out.push({ key: s.key, chain: await chainOf(s.v), ...(s.result.layer ? { layer: s.result.layer } : {}) });
  }
  return out;
}
