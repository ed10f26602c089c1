// Public face of planner: Dockerfile + options → op DAG and image config per stage.
export { plan } from './plan.js';
export { hostPlatform, parsePlatform, formatPlatform, platformArgs, PROXY_ARGS } from './platform.js';
export { parseSize } from './mounts.js';
export type * from './types.js';
