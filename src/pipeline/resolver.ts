// Finds base images: named oci-layout build contexts first, then the local image store.
import { TsbuildError, isDigest, type Descriptor, type Digest, type Platform } from '../core/index.js';
import type { ContentStore, RefStore } from '../content/index.js';
import { formatPlatform, parseReference, readArchive, resolveOciLayout, selectManifest } from '../image/index.js';
import type { BuildContextSpec, ImageConfigFile, ImageResolver, ResolvedImage } from '../planner/index.js';
import { pullImage, type RegistryOptions } from '../registry/index.js';

interface IndexDoc {
  mediaType?: string;
  manifests: Descriptor[];
}

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

/** Picks the manifest for `platform` from an index (nested indexes too); a plain manifest is returned as is. */
export async function manifestFor(content: ContentStore, desc: Descriptor, platform: Platform): Promise<Descriptor> {
  let current = desc;
  for (let depth = 0; depth < 4 && INDEX_TYPES.has(current.mediaType); depth++) {
    const idx = await content.readJson<IndexDoc>(current.digest);
    const match = selectManifest(idx.manifests, platform) ?? (idx.manifests.length === 1 ? idx.manifests[0] : undefined);
    if (!match) throw new TsbuildError('TSB4204', `no manifest for ${formatPlatform(platform)} in index ${current.digest}`);
    current = match;
  }
  return current;
}

interface ManifestDoc {
  config: Descriptor;
}

async function load(content: ContentStore, ref: string, desc: Descriptor, platform: Platform, origin: ResolvedImage['origin']): Promise<ResolvedImage> {
  const manifest = await manifestFor(content, desc, platform);
  const doc = await content.readJson<ManifestDoc>(manifest.digest);
  const config = await content.readJson<ImageConfigFile>(doc.config.digest);
  return { ref, manifest: { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size }, config, origin };
}

export function createImageResolver(o: {
  content: ContentStore;
  refs: RefStore;
  contexts: Record<string, BuildContextSpec>;
  /** When set, images missing from the store are pulled from their registry (and tagged locally). */
  registry?: RegistryOptions;
  signal?: AbortSignal;
}): ImageResolver {
  return {
    async resolve(word: string, platform: Platform): Promise<ResolvedImage | undefined> {
      const named = o.contexts[word.toLowerCase()];
      if (named?.kind === 'oci-layout') {
        // Copy the layout's blobs into the store (each verified) so later steps read one place.
        const found = await resolveOciLayout(named.dir, { ...(named.tag ? { tag: named.tag } : {}), ...(named.digest ? { digest: named.digest } : {}) });
        await readArchive(named.dir, { content: o.content, ...(o.signal ? { signal: o.signal } : {}) });
        return load(o.content, word.toLowerCase(), found.manifest, platform, { kind: 'oci-layout', dir: named.dir });
      }
      const ref = parseReference(word);
      const name = ref.toString();
      if (ref.digest && isDigest(ref.digest) && (await o.content.has(ref.digest as Digest))) {
        const tagged = await o.refs.get(name);
        const desc = tagged ?? { mediaType: await sniffMediaType(o.content, ref.digest as Digest), digest: ref.digest as Digest, size: (await o.content.info(ref.digest as Digest))?.size ?? 0 };
        return load(o.content, name, desc, platform, { kind: 'store' });
      }
      const desc = await o.refs.get(name);
      if (desc) return load(o.content, name, desc, platform, { kind: 'store' });
      if (!o.registry) return undefined;
      const pulled = await pullImage(name, { ...o.registry, content: o.content, platform });
      if (!ref.digest) await o.refs.set(name, pulled.manifest);
      return load(o.content, name, pulled.manifest, platform, { kind: 'store' });
    },
  };
}

async function sniffMediaType(content: ContentStore, d: Digest): Promise<string> {
  const doc = await content.readJson<{ mediaType?: string; manifests?: unknown }>(d);
  return doc.mediaType ?? (doc.manifests ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json');
}
