// Public face of layer: compression, snapshot diff to OCI layer tars, layer writing and safe apply.
export {
  compressStream,
  decompressStream,
  detectCompression,
  mediaTypeFor,
  openMaybeCompressed,
  type Compression,
  type DetectedCompression,
} from './compress.js';
export { applyLayer, type ApplyLayerOptions } from './apply.js';
export { extractTar, isArchive, type ExtractTarOptions } from './extract.js';
export { diffOverlayUpper, diffTrees, type DiffOptions } from './diff.js';
export { writeLayer, type WriteLayerOptions, type WrittenLayer } from './write.js';
export { ChunkIndex, chunkIndexAt, chunkIndexDir, dropChunkIndex, type ChunkIndexOptions, type ChunkLocation, type ChunkRecord } from './chunk-index.js';
export { GzipChunkEncoder, gzipCodec, type ChunkStats, type GzipChunksOptions } from './gzip-chunks.js';
export { TarChunker, DEFAULT_CHUNK_LIMITS, type ChunkLimits } from './chunker.js';
export { readTar, type TarEntry } from './tar-read.js';
export { packTar, header as tarHeader, type PackEntry } from './tar-write.js';
export type { TarHeader, EntryType } from './tar-format.js';
