// Import of a docker-archive (`docker save` output): configs and layers become an OCI manifest.
import { TsbuildError, sha256, throwIfAborted, type Descriptor, type Platform } from '../core/index.js';
import type { ContentStore } from '../content/index.js';
import { digestLayerTar, sniffFile } from './compression.js';
import { ociManifest } from './build.js';
import { MediaType, type LayerCompression } from './mediatypes.js';
import type { ArchiveImage } from './oci-import.js';
import { fileBlob, fileBytes, invalidArchive, lookup, type ScannedTar } from './tar-scan.js';
import type { DockerArchiveEntry, ImageConfig } from './types.js';

const LAYER_TYPES: Record<LayerCompression, string> = {
  none: MediaType.ociLayer,
  gzip: MediaType.ociLayerGzip,
  zstd: MediaType.ociLayerZstd,
};

function parseEntries(scanned: ScannedTar, text: string): DockerArchiveEntry[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw invalidArchive(scanned.file, 'manifest.json is not valid JSON', e);
  }
  const ok =
    Array.isArray(v) &&
    v.every((e: Partial<DockerArchiveEntry>) => e && typeof e.Config === 'string' && Array.isArray(e.Layers) && e.Layers.every((l) => typeof l === 'string'));
  if (!ok) throw invalidArchive(scanned.file, 'manifest.json does not list {Config, Layers} entries');
  return v as DockerArchiveEntry[];
}

function platformOf(config: ImageConfig): Platform | undefined {
  if (typeof config.os !== 'string' || typeof config.architecture !== 'string') return undefined;
  return { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
}

async function importLayer(ctx: DockerImportContext, name: string, diffId: string): Promise<Descriptor> {
  const f = lookup(ctx.scanned, name);
  if (!f) throw invalidArchive(ctx.scanned.file, `layer ${name} listed in manifest.json is missing`);
  const blob = await fileBlob(ctx.content, f);
  const compression = await sniffFile(ctx.content.path(blob.digest));
  const desc: Descriptor = { mediaType: LAYER_TYPES[compression], digest: blob.digest, size: blob.size };
  let got: string = blob.digest;
  if (compression !== 'none') {
    try {
      got = (await digestLayerTar(ctx.content, desc, { compression, ...(ctx.signal ? { signal: ctx.signal } : {}) })).diffId;
    } catch (e) {
      if (e instanceof TsbuildError && e.code === 'TSB4005') throw invalidArchive(ctx.scanned.file, `layer ${name} cannot be decompressed`, e);
      throw e;
    }
  }
  if (got !== diffId) {
    throw new TsbuildError('TSB4001', `${ctx.scanned.file}: layer ${name} has content ${got}, but the image config lists diff_id ${diffId}`);
  }
  return desc;
}

interface DockerImportContext {
  scanned: ScannedTar;
  content: ContentStore;
  signal?: AbortSignal;
}

async function importImage(ctx: DockerImportContext, entry: DockerArchiveEntry): Promise<ArchiveImage> {
  const { scanned, content } = ctx;
  const cf = lookup(scanned, entry.Config);
  if (!cf) throw invalidArchive(scanned.file, `config ${entry.Config} listed in manifest.json is missing`);
  const configBytes = await fileBytes(content, cf);
  const configDigest = sha256(configBytes);
  // docker save names the config after its digest; a different name means damaged content.
  const named = /(?:^|\/)([a-f0-9]{64})(?:\.json)?$/.exec(entry.Config)?.[1];
  if (named !== undefined && `sha256:${named}` !== configDigest) {
    throw new TsbuildError('TSB4001', `${scanned.file}: config ${entry.Config} has digest ${configDigest}`);
  }
  let config: ImageConfig;
  try {
    config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
  } catch (e) {
    throw invalidArchive(scanned.file, `config ${entry.Config} is not valid JSON`, e);
  }
  const diffIds = config?.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || diffIds.length !== entry.Layers.length) {
    throw invalidArchive(scanned.file, `config ${entry.Config} lists ${Array.isArray(diffIds) ? diffIds.length : 'no'} diff_ids for ${entry.Layers.length} layers`);
  }
  const layers: Descriptor[] = [];
  for (const [i, name] of entry.Layers.entries()) {
    throwIfAborted(ctx.signal);
    layers.push(await importLayer(ctx, name, String(diffIds[i])));
  }
  const configBlob = await content.putBuffer(configBytes, ctx.signal);
  const manifest = ociManifest({ mediaType: MediaType.ociConfig, ...configBlob }, layers);
  const stored = await content.putJson(manifest, ctx.signal);
  const platform = platformOf(config);
  return {
    manifest: { mediaType: MediaType.ociManifest, digest: stored.digest, size: stored.size, ...(platform ? { platform } : {}) },
    refNames: (entry.RepoTags ?? []).filter((t): t is string => typeof t === 'string'),
  };
}

export async function importDockerArchive(
  scanned: ScannedTar,
  manifestJson: string,
  opts: { content: ContentStore; signal?: AbortSignal },
): Promise<ArchiveImage[]> {
  const ctx: DockerImportContext = { scanned, content: opts.content, ...(opts.signal ? { signal: opts.signal } : {}) };
  const out: ArchiveImage[] = [];
  for (const entry of parseEntries(scanned, manifestJson)) out.push(await importImage(ctx, entry));
  return out;
}
