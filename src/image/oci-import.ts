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

/** Ensures `d` is in the store, verified; throws TSB4101/TSB4001 naming the blob when it cannot. */
export type EnsureBlob = (d: Descriptor) => Promise<'stored' | 'absent'>;

export interface ImportContext {
  source: string;
  content: ContentStore;
  ensure: EnsureBlob;
  platform?: Platform;
  signal?: AbortSignal;
}

async function readJsonBlob<T>(ctx: ImportContext, d: Descriptor): Promise<T> {
  if ((await ctx.ensure(d)) === 'absent') throw new TsbuildError('TSB4101', `${ctx.source}: blob ${d.digest} is missing`);
  try {
    return await ctx.content.readJson<T>(d.digest, ctx.signal);
  } catch (e) {
    throw new TsbuildError('TSB4101', `${ctx.source}: blob ${d.digest} is not valid JSON`, { cause: e });
  }
}

async function importManifest(ctx: ImportContext, d: Descriptor): Promise<void> {
  const m = await readJsonBlob<ImageManifest>(ctx, d);
  if (!m || typeof m !== 'object' || !m.config || !Array.isArray(m.layers)) {
    throw new TsbuildError('TSB4101', `${ctx.source}: manifest ${d.digest} lacks config or layers`);
  }
  if ((await ctx.ensure(m.config)) === 'absent') throw new TsbuildError('TSB4101', `${ctx.source}: config blob ${m.config.digest} is missing`);
  for (const layer of m.layers) {
    throwIfAborted(ctx.signal);
    // Foreign layers are fetched from their URLs later; archives may leave them out.
    if ((await ctx.ensure(layer)) === 'absent' && !isNondistributable(layer.mediaType)) {
      throw new TsbuildError('TSB4101', `${ctx.source}: layer blob ${layer.digest} is missing`);
    }
  }
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
  return importEntry(ctx, child, depth + 1);
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
    const manifest = await importEntry(ctx, entry);
    const prev = byDigest.get(manifest.digest);
    const names = entryNames(entry);
    if (prev) prev.refNames.push(...names.filter((n) => !prev.refNames.includes(n)));
    else byDigest.set(manifest.digest, { manifest, refNames: names });
  }
  return [...byDigest.values()];
}
