// Public face of solver: scheduling, cache lookups and progress, with the runner as an interface.
export { solve, type SolveOptions } from './solve.js';
export type * from './types.js';
