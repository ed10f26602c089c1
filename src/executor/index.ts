// Public face of the executor module: OCI spec generation and the runc driver.
export type { ExecMount, ExecRequest, ExecIO, ExecResult, Executor, RuntimeSpec } from './types.js';
export { generateSpec, type SpecHost } from './spec.js';
export { createRuncExecutor, type RuncExecutorOptions } from './runc.js';
export { detectCgroupVersion } from './cgroup.js';
export { defaultSeccompProfile } from './seccomp.js';
