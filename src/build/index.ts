// Public face of build: the pipeline from Dockerfile to image and outputs.
export { build, type BuildOptions, type BuildResult } from './build.js';
export { parseOutput, type OutputSpec } from './outputs.js';
export { storeLayout, type StoreLayout } from './store.js';
export { createImageResolver, manifestFor } from './resolver.js';
