// Snapshot diffs as OCI layer tars: overlay upper dirs and full-tree comparisons.
export { diffOverlayUpper } from './diff-overlay.js';
export { diffTrees } from './diff-trees.js';
export type { DiffOptions } from './diff-entry.js';
