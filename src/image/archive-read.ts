// `image load`: imports an OCI layout directory, OCI layout tar (plain or compressed) or docker-archive.
import { promises as fsp } from 'node:fs';
import { TsbuildError, type Descriptor, type Platform } from '../core/index.js';
import { digestHex, type ContentStore } from '../content/index.js';
import { importDockerArchive } from './docker-read.js';
import { readLayoutDir } from './layout-read.js';
import { importIndex, type ArchiveImage, type BlobSource } from './oci-import.js';
import { fileBytes, invalidArchive, lookup, scanTar, type ScannedTar } from './tar-scan.js';
import type { ImageIndex } from './types.js';

export interface ReadArchiveOptions {
  content: ContentStore;
  /** Platform to pick from multi-platform indexes (default: the only one, else linux/host arch). */
  platform?: Platform;
  signal?: AbortSignal;
}

async function jsonFile<T>(content: ContentStore, scanned: ScannedTar, name: string): Promise<T> {
  const f = lookup(scanned, name);
  if (!f) throw invalidArchive(scanned.file, `${name} is missing`);
  try {
    return JSON.parse((await fileBytes(content, f)).toString('utf8')) as T;
  } catch (e) {
    throw invalidArchive(scanned.file, `${name} is not valid JSON`, e);
  }
}

/** Blobs seen in a scanned tar: verified while scanning; small ones are stored only when needed. */
function tarSource(scanned: ScannedTar, content: ContentStore, signal?: AbortSignal): BlobSource {
  const sizeCheck = (d: Descriptor, size: number): void => {
    if (size !== d.size) throw new TsbuildError('TSB4001', `${scanned.file}: blob ${d.digest} has ${size} bytes, its descriptor says ${d.size}`);
  };
  const buffered = (d: Descriptor): Buffer | undefined => {
    const f = scanned.files.get(`blobs/sha256/${digestHex(d.digest)}`);
    return f?.kind === 'buffer' ? f.data : undefined;
  };
  return {
    async read(d) {
      const data = buffered(d);
      if (data) {
        sizeCheck(d, data.length);
        return data;
      }
      const have = await content.info(d.digest);
      if (!have) return undefined;
      sizeCheck(d, have.size);
      return content.readBuffer(d.digest, signal);
    },
    async ensure(d) {
      const have = await content.info(d.digest);
      if (have) {
        sizeCheck(d, have.size);
        return 'stored';
      }
      const data = buffered(d);
      if (!data) return 'absent';
      sizeCheck(d, data.length);
      await content.putBuffer(data, signal);
      return 'stored';
    },
  };
}

async function readTar(file: string, opts: ReadArchiveOptions): Promise<ArchiveImage[]> {
  const { content } = opts;
  const scanned = await scanTar(file, content, opts.signal);
  if (lookup(scanned, 'index.json')) {
    const index = await jsonFile<ImageIndex>(content, scanned, 'index.json');
    return importIndex(
      {
        source: file,
        content,
        ...(opts.platform ? { platform: opts.platform } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        blobs: tarSource(scanned, content, opts.signal),
      },
      index,
    );
  }
  const manifest = lookup(scanned, 'manifest.json');
  if (manifest) return importDockerArchive(scanned, (await fileBytes(content, manifest)).toString('utf8'), opts);
  throw invalidArchive(file, 'neither index.json (OCI layout) nor manifest.json (docker-archive) found');
}

/**
 * Imports every image of an archive into the content store and returns their manifests with the
 * names the archive gives them. Blobs are verified as they are ingested; nothing is tagged here,
 * so a failure leaves at most unreferenced blobs for garbage collection.
 */
export async function readArchive(source: string, opts: ReadArchiveOptions): Promise<ArchiveImage[]> {
  let st;
  try {
    st = await fsp.stat(source);
  } catch (e) {
    throw invalidArchive(source, 'cannot open the image archive', e);
  }
  if (st.isDirectory()) return readLayoutDir(source, opts);
  return readTar(source, opts);
}
