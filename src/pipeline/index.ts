// Public face of pipeline: the build from Dockerfile to image and outputs, cache sharing, GC and leases.
export { build, type BuildOptions, type BuildResult } from './build.js';
export { parseOutput, type OutputSpec } from './outputs.js';
export { storeLayout, type StoreLayout } from './store.js';
export { createImageResolver, manifestFor } from './resolver.js';
export { prune, autoGc, defaultCacheCap, storeUsage, type PruneOptions, type PruneReport, type StoreUsageReport } from './gc.js';
export { acquireLease, liveLeases, leasesDir, type Lease, type LeaseInfo } from './lease.js';
export { measureStore, treeSize, type StoreSize, type UsageKind } from './du.js';
export { explainBuild, type ExplainOptions, type ExplainResult, type StepExplanation } from './explain.js';
export { listCacheRecords, findCacheRecord, type RecordUsage } from './records.js';
