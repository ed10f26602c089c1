// Vertices: an op plus its inputs, identified by a canonical digest of both.
import { blake3Hex, canonicalJson } from '../core/index.js';
import type { Op, VertexMeta } from './ops.js';

export interface Vertex {
  /** blake3 of the canonical op definition and the input digests. */
  readonly digest: string;
  readonly op: Op;
  readonly inputs: readonly Vertex[];
  readonly meta: VertexMeta;
}

export function opDigest(op: Op, inputs: readonly Vertex[]): string {
  return blake3Hex(canonicalJson({ op, inputs: inputs.map((i) => i.digest) }));
}

export function vertex(op: Op, inputs: readonly Vertex[], meta: VertexMeta): Vertex {
  return Object.freeze({ digest: opDigest(op, inputs), op, inputs: Object.freeze([...inputs]), meta });
}

/** Every vertex reachable from the roots, inputs before the vertices that use them, each once. */
export function topoOrder(roots: readonly Vertex[]): Vertex[] {
  const seen = new Set<string>();
  const out: Vertex[] = [];
  const visit = (v: Vertex): void => {
    if (seen.has(v.digest)) return;
    seen.add(v.digest);
    for (const i of v.inputs) visit(i);
    out.push(v);
  };
  for (const r of roots) visit(r);
  return out;
}
