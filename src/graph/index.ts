// Public face of graph: ops and vertices as plain data, canonical digests. Pure, no I/O.
export * from './ops.js';
export * from './vertex.js';
