// Reading OCI layout directories: import into the store, and resolving one image for a build context.
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { TsbuildError, isTsbuildError, sha256, type Descriptor, type Digest, type Platform } from '../core/index.js';
import { ContentStore, digestHex } from '../content/index.js';
import { Annotation, MediaType } from './mediatypes.js';
import { importIndex, type ArchiveImage, type BlobSource } from './oci-import.js';
import { parseReference } from './reference.js';
import type { ImageIndex, OciLayoutFile } from './types.js';
import { resolveManifest } from './walk.js';

async function readLayoutJson<T>(dir: string, name: string): Promise<T> {
  const file = path.join(dir, name);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    throw new TsbuildError('TSB4101', `${dir} is not an OCI image layout (cannot read ${name})`, { cause: e });
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new TsbuildError('TSB4101', `${file} is not valid JSON`, { cause: e });
  }
}

/** Reads and checks `oci-layout` and `index.json` of a layout directory. */
export async function readLayoutIndex(dir: string): Promise<ImageIndex> {
  const layout = await readLayoutJson<OciLayoutFile>(dir, 'oci-layout');
  if (!layout || typeof layout.imageLayoutVersion !== 'string') {
    throw new TsbuildError('TSB4101', `${path.join(dir, 'oci-layout')} has no imageLayoutVersion`);
  }
  const index = await readLayoutJson<ImageIndex>(dir, 'index.json');
  if (!index || !Array.isArray(index.manifests)) throw new TsbuildError('TSB4101', `${path.join(dir, 'index.json')} has no manifests list`);
  return index;
}

/** Blobs of a layout directory, verified as they are read or ingested. */
function dirSource(dir: string, content: ContentStore, signal?: AbortSignal): BlobSource {
  const fileOf = (d: Descriptor): string => path.join(dir, 'blobs', 'sha256', digestHex(d.digest));
  const damaged = (d: Descriptor, cause?: unknown): TsbuildError =>
    new TsbuildError('TSB4001', `${fileOf(d)} does not match its digest ${d.digest} or size ${d.size}`, cause === undefined ? {} : { cause });
  return {
    async read(d) {
      if ((await content.info(d.digest))?.size === d.size) return content.readBuffer(d.digest, signal);
      let data: Buffer;
      try {
        data = await fsp.readFile(fileOf(d), signal ? { signal } : {});
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
      if (data.length !== d.size || sha256(data) !== d.digest) throw damaged(d);
      return data;
    },
    async ensure(d) {
      if ((await content.info(d.digest))?.size === d.size) return 'stored';
      const file = fileOf(d);
      const st = await fsp.stat(file).catch(() => undefined);
      if (!st?.isFile()) return 'absent';
      try {
        await content.ingest(createReadStream(file), { digest: d.digest, size: d.size, ...(signal ? { signal } : {}) });
      } catch (e) {
        if (isTsbuildError(e) && e.code === 'TSB4001') throw damaged(d, e);
        throw e;
      }
      return 'stored';
    },
  };
}

export async function readLayoutDir(dir: string, opts: { content: ContentStore; platform?: Platform; signal?: AbortSignal }): Promise<ArchiveImage[]> {
  const index = await readLayoutIndex(dir);
  const { content, signal } = opts;
  return importIndex(
    {
      source: dir,
      content,
      blobs: dirSource(dir, content, signal),
      ...(opts.platform ? { platform: opts.platform } : {}),
      ...(signal ? { signal } : {}),
    },
    index,
  );
}

export interface LayoutSelector {
  /** ref.name annotation (`latest`) or a full name recorded by io.containerd.image.name. */
  tag?: string;
  digest?: Digest;
  /** Platform to pick when the selected entry is an index (default: host). */
  platform?: Platform;
}

function matchesTag(d: Descriptor, tag: string): boolean {
  const ref = d.annotations?.[Annotation.refName];
  const full = d.annotations?.[Annotation.imageName];
  if (ref === tag || full === tag) return true;
  try {
    const want = parseReference(tag).toString();
    return (full !== undefined && parseReference(full).toString() === want) || (ref !== undefined && ref.includes('/') && parseReference(ref).toString() === want);
  } catch {
    return false;
  }
}

async function byDigest(dir: string, index: ImageIndex, digest: Digest): Promise<Descriptor | undefined> {
  const listed = index.manifests.find((d) => d.digest === digest);
  if (listed) return listed;
  const layoutStore = new ContentStore(dir);
  const info = await layoutStore.info(digest);
  if (!info) return undefined;
  const body = await layoutStore.readJson<{ mediaType?: string }>(digest);
  return { mediaType: body.mediaType ?? MediaType.ociManifest, digest, size: info.size };
}

/**
 * Finds one image manifest in a layout directory (e.g. `oci-layout:///path:tag` build contexts)
 * without copying anything. `blobsDir` is `<dir>/blobs`; `new ContentStore(dir)` reads it verified.
 */
export async function resolveOciLayout(dir: string, selector: LayoutSelector = {}): Promise<{ manifest: Descriptor; blobsDir: string }> {
  const index = await readLayoutIndex(dir);
  let found: Descriptor | undefined;
  let wanted: string;
  if (selector.digest !== undefined) {
    wanted = selector.digest;
    found = await byDigest(dir, index, selector.digest);
  } else if (selector.tag !== undefined) {
    const tag = selector.tag;
    wanted = tag;
    found = index.manifests.find((d) => matchesTag(d, tag));
  } else {
    wanted = 'an image';
    if (index.manifests.length === 1) found = index.manifests[0];
    else if (index.manifests.length > 1) {
      throw new TsbuildError('TSB4103', `${dir} holds ${index.manifests.length} images; select one by tag or digest`);
    }
  }
  if (!found) throw new TsbuildError('TSB4103', `${wanted} not found in OCI layout ${dir}`);
  const manifest = await resolveManifest(new ContentStore(dir), found, selector.platform ? { platform: selector.platform } : {});
  return { manifest, blobsDir: path.join(dir, 'blobs') };
}
