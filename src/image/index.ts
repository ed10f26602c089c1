// Public face of image: media types, image value types, references, archive writers and readers.
export { MediaType, Annotation, OCI_LAYOUT_VERSION, isIndexType, isManifestType, isConfigType, layerCompression, type LayerCompression } from './mediatypes.js';
export type {
  ContainerConfig,
  HealthConfig,
  HistoryEntry,
  RootFS,
  ImageConfig,
  ImageManifest,
  ImageIndex,
  OciLayoutFile,
  DockerArchiveEntry,
} from './types.js';
export { parseReference, isTag, type ImageReference } from './reference.js';
export { hostPlatform, platformMatches, selectManifest, formatPlatform } from './platform.js';
export { ociManifest, ociIndex } from './build.js';
export { openLayerTar, digestLayerTar, sniffCompression } from './compression.js';
export { reachableBlobs, resolveManifest } from './walk.js';
export { writeOciLayout, writeOciTar, type LayoutEntry, type LayoutWriteOptions } from './layout-write.js';
export { writeDockerArchive, type DockerArchiveImage, type DockerArchiveOptions } from './docker-write.js';
export { readArchive, type ReadArchiveOptions } from './archive-read.js';
export type { ArchiveImage } from './oci-import.js';
export { resolveOciLayout, type LayoutSelector } from './layout-read.js';
export { validateImage } from './validate.js';
