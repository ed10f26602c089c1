// Sharing the build cache between machines: --cache-to / --cache-from, in a registry or an OCI layout dir.
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { TsbuildError, type Descriptor, type Digest } from '../core/index.js';
import type { ContentStore } from '../content/index.js';
import { digestHex } from '../content/index.js';
import { parseReference, resolveOciLayout, writeOciLayout } from '../image/index.js';
import { fetchManifestOnly, pullBlobs, pushImage, type RegistryOptions } from '../registry/index.js';
import type { LayerInfo, OpResult } from '../solver/index.js';

const CONFIG_TYPE = 'application/vnd.tsbuild.cache.config.v1+json';
const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const LOCAL_TAG = 'cache';

export type CacheSpec = { type: 'registry'; ref: string; mode: 'min' | 'max' } | { type: 'local'; dir: string; mode: 'min' | 'max' };

/** One exported step: its key, the layer it added, and every layer from the base up to it. */
export interface ExportedRecord {
  key: string;
  layer?: LayerInfo;
  chain: LayerInfo[];
}

interface CacheConfig {
  tsbuildCache: 1;
  records: ExportedRecord[];
}

/** `type=registry,ref=R[,mode=max|min]` or `type=local,dest=D` (`src=D` for --cache-from). */
export function parseCacheSpec(spec: string, flag: '--cache-to' | '--cache-from', cwd: string): CacheSpec {
  const kv = new Map<string, string>();
  for (const part of spec.split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) throw new TsbuildError('TSB9001', `invalid ${flag} "${spec}": expected key=value pairs`);
    kv.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  const mode = kv.get('mode') ?? 'max';
  if (mode !== 'min' && mode !== 'max') throw new TsbuildError('TSB9001', `invalid ${flag} "${spec}": mode must be min or max`);
  const type = kv.get('type') ?? (kv.has('ref') ? 'registry' : 'local');
  if (type === 'registry') {
    const ref = kv.get('ref');
    if (!ref) throw new TsbuildError('TSB9001', `invalid ${flag} "${spec}": type=registry needs ref=`);
    parseReference(ref);
    return { type, ref, mode };
  }
  if (type === 'local') {
    const dir = kv.get(flag === '--cache-to' ? 'dest' : 'src') ?? kv.get('dest') ?? kv.get('src');
    if (!dir) throw new TsbuildError('TSB9001', `invalid ${flag} "${spec}": type=local needs ${flag === '--cache-to' ? 'dest' : 'src'}=`);
    return { type, dir: path.resolve(cwd, dir), mode };
  }
  throw new TsbuildError('TSB9001', `invalid ${flag} "${spec}": type must be registry or local`);
}

function blobsOf(records: readonly ExportedRecord[]): Descriptor[] {
  const all = new Map<Digest, Descriptor>();
  for (const r of records) for (const l of [...r.chain, ...(r.layer ? [r.layer] : [])]) all.set(l.digest, { mediaType: l.mediaType, digest: l.digest, size: l.size });
  return [...all.values()].sort((a, b) => (a.digest < b.digest ? -1 : 1));
}

/** Writes the records (and every blob they need, shared with images, never recompressed) to the cache target. */
export async function exportCache(spec: CacheSpec, o: { content: ContentStore; records: ExportedRecord[]; registry: RegistryOptions; ensureBlobs: (d: Descriptor[]) => Promise<void> }): Promise<void> {
  const records = [...o.records].sort((a, b) => (a.key < b.key ? -1 : 1));
  const layers = blobsOf(records);
  await o.ensureBlobs(layers);
  const cfg = await o.content.putBuffer(Buffer.from(JSON.stringify({ tsbuildCache: 1, records } satisfies CacheConfig)));
  const manifestDoc = { schemaVersion: 2, mediaType: MANIFEST_TYPE, config: { mediaType: CONFIG_TYPE, digest: cfg.digest, size: cfg.size }, layers };
  const m = await o.content.putBuffer(Buffer.from(JSON.stringify(manifestDoc)));
  const manifest: Descriptor = { mediaType: MANIFEST_TYPE, digest: m.digest, size: m.size };
  if (spec.type === 'registry') return pushImage({ ...o.registry, content: o.content, manifest, refs: [spec.ref] });
  await writeOciLayout(spec.dir, { content: o.content, manifests: [{ descriptor: manifest, refName: LOCAL_TAG }] });
  await collectLayout(spec.dir, new Set([manifest.digest, cfg.digest, ...layers.map((l) => l.digest)]));
}

/** Keeps the local cache directory from growing: blobs the new cache manifest does not use are removed. */
async function collectLayout(dir: string, keep: ReadonlySet<string>): Promise<void> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  for (const name of await fsp.readdir(blobs)) if (!keep.has(`sha256:${name}`)) await fsp.rm(path.join(blobs, name), { force: true });
}

/** An imported cache: results by key, with their blobs fetched only when a step needs them. */
export interface ImportedCache {
  get(key: string): OpResult | undefined;
  /** Downloads (or copies) these blobs into the store when the store lacks them. */
  fetch(blobs: ReadonlyArray<Pick<Descriptor, 'digest' | 'size' | 'mediaType'>>): Promise<boolean>;
}

export async function importCache(specs: readonly CacheSpec[], o: { content: ContentStore; registry: RegistryOptions; warn: (m: string) => void }): Promise<ImportedCache> {
  const byKey = new Map<string, ExportedRecord>();
  const sources: Array<(d: Descriptor[]) => Promise<void>> = [];
  for (const spec of specs) {
    try {
      let config: CacheConfig;
      if (spec.type === 'registry') {
        const desc = await fetchManifestOnly(spec.ref, { ...o.registry, content: o.content });
        const m = await o.content.readJson<{ config: Descriptor }>(desc.digest);
        await pullBlobs(spec.ref, [m.config], { ...o.registry, content: o.content });
        config = await o.content.readJson<CacheConfig>(m.config.digest);
        sources.push((d) => pullBlobs(spec.ref, d, { ...o.registry, content: o.content }));
      } else {
        const found = await resolveOciLayout(spec.dir, { tag: LOCAL_TAG });
        const copy = async (ds: Descriptor[]): Promise<void> => {
          for (const d of ds) {
            if (await o.content.has(d.digest)) continue;
            await o.content.ingest(createReadStream(path.join(found.blobsDir, 'sha256', digestHex(d.digest))), { digest: d.digest, size: d.size });
          }
        };
        await copy([found.manifest]);
        const m = await o.content.readJson<{ config: Descriptor }>(found.manifest.digest);
        await copy([m.config]);
        config = await o.content.readJson<CacheConfig>(m.config.digest);
        sources.push(copy);
      }
      if (config.tsbuildCache !== 1 || !Array.isArray(config.records)) throw new TsbuildError('TSB4101', 'not a tsbuild cache');
      for (const r of config.records) if (!byKey.has(r.key)) byKey.set(r.key, r);
    } catch (e) {
      // As with BuildKit, a cache that cannot be read only costs speed: warn and build.
      o.warn(`cache from ${spec.type === 'registry' ? spec.ref : spec.dir} not used: ${(e as Error).message}`);
    }
  }
  return {
    get(key) {
      const r = byKey.get(key);
      if (!r) return undefined;
      return { ...(r.layer ? { layer: r.layer } : {}), chain: r.chain };
    },
    async fetch(blobs) {
      const missing: Descriptor[] = [];
      for (const b of blobs) if (!(await o.content.has(b.digest))) missing.push({ digest: b.digest, size: b.size, mediaType: b.mediaType });
      if (missing.length === 0) return true;
      for (const src of sources) {
        try {
          await src(missing);
          return true;
        } catch {
          // try the next source
        }
      }
      return false;
    },
  };
}
