// Import of an OCI index (from a layout directory or tar) into the content store, blob by blob.
import { TsbuildError, throwIfAborted, type Descriptor, type Platform } from '../core/index.js';
import type { ContentStore } from '../content/index.js';
import { Annotation, isIndexType, isManifestType, isNondistributable } from './mediatypes.js';
import { formatPlatform, selectManifest } from './platform.js';
import type { ImageIndex, ImageManifest } from './types.js';

export interface ArchiveImage {
  /** An image manifest now in the content store with everything it references. */
  manifest: Descriptor;
  /** Names the archive gives the image: full names where it records them, else its ref.name tags. */
  refNames: string[];
}

/** Where an import gets blobs from; both verify digest and size (TSB4001 naming the blob). */
export interface BlobSource {
  /** Puts `d` into the content store, or reports that the archive lacks it. */
  ensure(d: Descriptor): Promise<'stored' | 'absent'>;
  /** The bytes of a small blob without storing it, or undefined when the archive lacks it. */
  read(d: Descriptor): Promise<Buffer | undefined>;
}

/**
 * Children are stored before the manifest that references them, so a manifest present in the
 * store always has its config and layers present too, even after a failed import.
 */
export interface ImportContext {
  source: string;
  content: ContentStore;
  blobs: BlobSource;
  platform?: Platform;
  signal?: AbortSignal;
}

/** Manifests and indexes are small; a huge one is damage or abuse, not something to load into memory. */
const MAX_JSON_BLOB = 8 << 20;

async function readJsonBlob<T>(ctx: ImportContext, d: Descriptor): Promise<T> {
  if (d.size > MAX_JSON_BLOB) throw new TsbuildError('TSB4101', `${ctx.source}: ${d.mediaType} ${d.digest} is ${d.size} bytes, too large`);
  const data = await ctx.blobs.read(d);
  if (data === undefined) throw new TsbuildError('TSB4101', `${ctx.source}: blob ${d.digest} is missing`);
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (e) {
    throw new TsbuildError('TSB4101', `${ctx.source}: blob ${d.digest} is not valid JSON`, { cause: e });
  }
}

async function importManifest(ctx: ImportContext, d: Descriptor): Promise<void> {
  const m = await readJsonBlob<ImageManifest>(ctx, d);
  if (!m || typeof m !== 'object' || !m.config || !Array.isArray(m.layers)) {
    throw new TsbuildError('TSB4101', `${ctx.source}: manifest ${d.digest} lacks config or layers`);
  }
  if ((await ctx.blobs.ensure(m.config)) === 'absent') throw new TsbuildError('TSB4101', `${ctx.source}: config blob ${m.config.digest} is missing`);
  for (const layer of m.layers) {
    throwIfAborted(ctx.signal);
    // Foreign layers are fetched from their URLs later; archives may leave them out.
    if ((await ctx.blobs.ensure(layer)) === 'absent' && !isNondistributable(layer.mediaType)) {
      throw new TsbuildError('TSB4101', `${ctx.source}: layer blob ${layer.digest} is missing`);
    }
  }
  await ctx.blobs.ensure(d);
}

/** Follows nested indexes to one platform's manifest, importing what that manifest needs. */
async function importEntry(ctx: ImportContext, d: Descriptor, depth = 0): Promise<Descriptor> {
  if (depth > 8) throw new TsbuildError('TSB4101', `${ctx.source}: indexes nest too deeply at ${d.digest}`);
  if (isManifestType(d.mediaType)) {
    await importManifest(ctx, d);
    return d;
  }
  if (!isIndexType(d.mediaType)) {
    throw new TsbuildError('TSB4102', `${ctx.source}: entry ${d.digest} has unsupported media type ${d.mediaType}`);
  }
  const idx = await readJsonBlob<ImageIndex>(ctx, d);
  if (!idx || !Array.isArray(idx.manifests)) throw new TsbuildError('TSB4101', `${ctx.source}: index ${d.digest} lacks manifests`);
  const child = selectManifest(idx.manifests, ctx.platform);
  if (!child) {
    const want = ctx.platform ? formatPlatform(ctx.platform) : 'the host platform';
    throw new TsbuildError('TSB4105', `${ctx.source}: index ${d.digest} has no manifest for ${want}`);
  }
  const picked = await importEntry(ctx, child, depth + 1);
  await ctx.blobs.ensure(d);
  return picked;
}

export function entryNames(d: Descriptor): string[] {
  const full = d.annotations?.[Annotation.imageName];
  const ref = d.annotations?.[Annotation.refName];
  if (full !== undefined) return [full];
  return ref !== undefined ? [ref] : [];
}

/** Imports every entry of a layout's index.json; entries that end at the same manifest are merged. */
export async function importIndex(ctx: ImportContext, index: ImageIndex): Promise<ArchiveImage[]> {
  if (!index || !Array.isArray(index.manifests)) throw new TsbuildError('TSB4101', `${ctx.source}: index.json has no manifests list`);
  const byDigest = new Map<string, ArchiveImage>();
  for (const entry of index.manifests) {
    throwIfAborted(ctx.signal);
    const picked = await importEntry(ctx, entry);
    // Naming annotations belong to the archive's index entry, not to the image.
    const manifest: Descriptor = { mediaType: picked.mediaType, digest: picked.digest, size: picked.size, ...(picked.platform ? { platform: picked.platform } : {}) };
    const prev = byDigest.get(manifest.digest);
    const names = entryNames(entry);
    if (prev) prev.refNames.push(...names.filter((n) => !prev.refNames.includes(n)));
    else byDigest.set(manifest.digest, { manifest, refNames: names });
  }
  return [...byDigest.values()];
}
