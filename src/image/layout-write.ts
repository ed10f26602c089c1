// OCI image layout output: as a directory (merged into an existing layout) or as a tar stream.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { TsbuildError, fsyncDir, readJsonFile, throwIfAborted, writeFileAtomic, type Descriptor } from '../core/index.js';
import { digestHex, type ContentStore } from '../content/index.js';
import { Annotation, MediaType, OCI_LAYOUT_VERSION } from './mediatypes.js';
import { refAnnotations } from './refname.js';
import { writeTar, type TarFile } from './tarwrite.js';
import type { ImageIndex, OciLayoutFile } from './types.js';
import { checkStored, reachableBlobs } from './walk.js';

export interface LayoutEntry {
  /** A manifest or index descriptor in the content store. */
  descriptor: Descriptor;
  /** Tag (`latest`) or full reference (`app:1`); recorded as the `ref.name` annotation. */
  refName?: string;
}

export interface LayoutWriteOptions {
  content: ContentStore;
  manifests: LayoutEntry[];
  signal?: AbortSignal;
}

function indexEntry(e: LayoutEntry): Descriptor {
  const d: Descriptor = { mediaType: e.descriptor.mediaType, digest: e.descriptor.digest, size: e.descriptor.size };
  const annotations = { ...e.descriptor.annotations, ...(e.refName !== undefined ? refAnnotations(e.refName) : {}) };
  if (Object.keys(annotations).length > 0) d.annotations = annotations;
  if (e.descriptor.platform) d.platform = e.descriptor.platform;
  return d;
}

function layoutIndex(manifests: Descriptor[]): ImageIndex {
  return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests };
}

const json = (v: unknown): string => JSON.stringify(v);
const LAYOUT_FILE = json({ imageLayoutVersion: OCI_LAYOUT_VERSION } satisfies OciLayoutFile);

async function allBlobs(opts: LayoutWriteOptions): Promise<Descriptor[]> {
  const seen = new Map<string, Descriptor>();
  for (const m of opts.manifests) {
    for (const b of await reachableBlobs(opts.content, m.descriptor, opts.signal)) seen.set(b.digest, b);
  }
  for (const b of seen.values()) await checkStored(opts.content, b);
  return [...seen.values()];
}

/** New entries replace existing ones with the same ref name; unnamed duplicates of a digest are dropped. */
function mergeEntries(existing: Descriptor[], added: Descriptor[]): Descriptor[] {
  const refOf = (d: Descriptor): string | undefined => d.annotations?.[Annotation.refName];
  const addedRefs = new Set(added.map(refOf).filter((r) => r !== undefined));
  const addedUnnamed = new Set(added.filter((d) => refOf(d) === undefined).map((d) => d.digest));
  const kept = existing.filter((d) => {
    const r = refOf(d);
    return r !== undefined ? !addedRefs.has(r) : !addedUnnamed.has(d.digest);
  });
  return [...kept, ...added];
}

async function writeAll(fh: fsp.FileHandle, buf: Buffer): Promise<void> {
  for (let off = 0; off < buf.length; ) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
}

async function copyBlob(opts: LayoutWriteOptions, blobsDir: string, d: Descriptor): Promise<void> {
  const target = path.join(blobsDir, digestHex(d.digest));
  const st = await fsp.stat(target).catch(() => undefined);
  if (st?.isFile() && st.size === d.size) return;
  const tmp = path.join(blobsDir, `.tmp-${digestHex(d.digest).slice(0, 12)}-${randomBytes(6).toString('hex')}`);
  const fh = await fsp.open(tmp, 'wx', 0o644);
  try {
    for await (const chunk of opts.content.readStream(d.digest, { verify: true })) {
      throwIfAborted(opts.signal);
      await writeAll(fh, chunk as Buffer);
    }
    await fh.sync();
    await fh.close();
    await fsp.rename(tmp, target);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Writes (or adds to) an OCI image layout directory. Blobs are written first, each by temp name
 * and rename; index.json is replaced last, so an interrupted write leaves the old layout valid.
 */
export async function writeOciLayout(dir: string, opts: LayoutWriteOptions): Promise<void> {
  const blobsDir = path.join(dir, 'blobs', 'sha256');
  await fsp.mkdir(blobsDir, { recursive: true });
  const layoutFile = path.join(dir, 'oci-layout');
  const layout = await readJsonFile<OciLayoutFile>(layoutFile).catch((e: unknown) => {
    throw new TsbuildError('TSB4101', `${layoutFile} is not valid JSON`, { cause: e });
  });
  if (layout && typeof layout.imageLayoutVersion !== 'string') {
    throw new TsbuildError('TSB4101', `${layoutFile} has no imageLayoutVersion`);
  }
  const indexFile = path.join(dir, 'index.json');
  const existing = await readJsonFile<ImageIndex>(indexFile).catch((e: unknown) => {
    throw new TsbuildError('TSB4101', `${indexFile} is not valid JSON`, { cause: e });
  });
  if (existing && !Array.isArray(existing.manifests)) throw new TsbuildError('TSB4101', `${indexFile} has no manifests list`);
  for (const b of await allBlobs(opts)) {
    throwIfAborted(opts.signal);
    await copyBlob(opts, blobsDir, b);
  }
  await fsyncDir(blobsDir);
  if (!layout) await writeFileAtomic(layoutFile, LAYOUT_FILE);
  const merged = mergeEntries(existing?.manifests ?? [], opts.manifests.map(indexEntry));
  await writeFileAtomic(indexFile, json(layoutIndex(merged)));
}

/** Streams the same layout as `writeOciLayout` would create in an empty directory, as a tar. */
export async function writeOciTar(out: Writable, opts: LayoutWriteOptions): Promise<void> {
  const blobs = await allBlobs(opts);
  const index = Buffer.from(json(layoutIndex(opts.manifests.map(indexEntry))));
  const files: TarFile[] = [
    { name: 'oci-layout', size: Buffer.byteLength(LAYOUT_FILE), open: () => Buffer.from(LAYOUT_FILE) },
    { name: 'index.json', size: index.length, open: () => index },
    ...blobs.map((b) => ({
      name: `blobs/sha256/${digestHex(b.digest)}`,
      size: b.size,
      open: () => opts.content.readStream(b.digest, { verify: true }),
    })),
  ];
  await writeTar(out, files, opts.signal);
}
