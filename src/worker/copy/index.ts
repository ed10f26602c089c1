// Public face of the COPY/ADD engine.
export { copyFiles } from './copy.js';
export type { CopyRequest, CopyResult } from './types.js';
export { parseChmod, type ModeChange } from './chmod.js';
export { resolveInRoot, mkdirAllInRoot, destPath, type DestPath } from './dest.js';
