// Public face of content: blob store, image references, locking and the store root.
export { ContentStore, type BlobInfo, type IngestOptions, type ReadOptions } from './store.js';
export { RefStore, type RefEntry } from './refs.js';
export { withLock, type LockOptions } from '../core/index.js';
export { storeRoot, type StoreRootOptions } from './root.js';
export { digestHex } from './digest.js';
export { CacheStore, type CacheRecord, type CachePreimage, type CacheResult } from './cache.js';
