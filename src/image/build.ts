// Canonical image values: the exact manifest shape tsbuild writes for a config and its layers.
import type { Descriptor } from '../core/index.js';
import { MediaType } from './mediatypes.js';
import type { ImageIndex, ImageManifest } from './types.js';

function plain(d: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.urls) out.urls = d.urls;
  if (d.annotations) out.annotations = d.annotations;
  return out;
}

/** An OCI image manifest with a fixed key order, so equal inputs give equal bytes. */
export function ociManifest(config: Descriptor, layers: readonly Descriptor[], annotations?: Record<string, string>): ImageManifest {
  return {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: plain(config),
    layers: layers.map(plain),
    ...(annotations ? { annotations } : {}),
  };
}

export function ociIndex(manifests: readonly Descriptor[], annotations?: Record<string, string>): ImageIndex {
  return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [...manifests], ...(annotations ? { annotations } : {}) };
}
