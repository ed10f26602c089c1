// Public face of core: shared vocabulary, errors, hashes, crash-safe fs helpers, process identity.
export * from './errors.js';
export * from './diagnostics.js';
export * from './types.js';
export * from './hash.js';
export * from './fs.js';
export * from './process.js';
export { withLock, type LockOptions } from './lock.js';
export { runCommand, type CommandResult } from './spawn.js';
export * as lazy from './native.js';
