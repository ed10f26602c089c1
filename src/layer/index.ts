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
