// Public face of core: shared vocabulary, errors, hashes, crash-safe fs helpers.
export * from './errors.js';
export * from './diagnostics.js';
export * from './types.js';
export * from './hash.js';
export * from './fs.js';
