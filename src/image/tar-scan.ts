// One streaming pass over an archive tar: blobs are ingested (verified) as they pass, small files kept.
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { TsbuildError, isTsbuildError, sha256, throwIfAborted, type Digest } from '../core/index.js';
import type { BlobInfo, ContentStore } from '../content/index.js';
import { chain, decompressor, sniffFile } from './compression.js';

/** A file seen in the archive: small ones in memory, the rest already in the content store. */
export type ScannedFile = { kind: 'buffer'; data: Buffer } | { kind: 'blob'; blob: BlobInfo };

export interface ScannedTar {
  file: string;
  files: Map<string, ScannedFile>;
  /** Symlinks and hard links, already resolved to archive paths. */
  links: Map<string, string>;
}

const KEEP_IN_MEMORY = 1 << 20;
/** Total bytes of small files held in memory; past this, files go to the content store right away. */
const MEMORY_BUDGET = 64 << 20;
const BLOB_PATH = /^blobs\/sha256\/([a-f0-9]{64})$/;

function clean(name: string): string {
  return path.posix.normalize(name.replace(/^(\.\/|\/)+/, '')).replace(/\/$/, '');
}

async function readAll(entry: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of entry) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

export function invalidArchive(file: string, why: string, cause?: unknown): TsbuildError {
  return new TsbuildError('TSB4101', `${file}: ${why}`, cause === undefined ? {} : { cause });
}

export async function scanTar(file: string, content: ContentStore, signal?: AbortSignal): Promise<ScannedTar> {
  const out: ScannedTar = { file, files: new Map(), links: new Map() };
  let compression;
  try {
    compression = await sniffFile(file);
  } catch (e) {
    throw invalidArchive(file, 'cannot read the archive', e);
  }
  const src = createReadStream(file);
  const input = compression === 'none' ? src : chain(src, decompressor(compression));
  const extract = tar.extract();
  input.on('error', (e: Error) => extract.destroy(e));
  input.pipe(extract as unknown as NodeJS.WritableStream);
  let current = '';
  let inMemory = 0;
  try {
    for await (const entry of extract) {
      throwIfAborted(signal);
      const h = entry.header;
      current = clean(h.name);
      if (h.type === 'file' || h.type === 'contiguous-file') {
        const m = BLOB_PATH.exec(current);
        const digest: Digest | undefined = m ? `sha256:${m[1] ?? ''}` : undefined;
        // Small files (manifests, configs) stay in memory so they reach the store only after what they reference.
        if (h.size <= KEEP_IN_MEMORY && inMemory + h.size <= MEMORY_BUDGET) {
          const data = await readAll(entry as unknown as Readable);
          inMemory += data.length;
          if (digest !== undefined && (sha256(data) !== digest || data.length !== h.size)) {
            throw new TsbuildError('TSB4001', `blob ${current} hashes to ${sha256(data)}`);
          }
          out.files.set(current, { kind: 'buffer', data });
        } else if (digest !== undefined) {
          const blob = await content.ingest(entry as unknown as Readable, { digest, size: h.size, ...(signal ? { signal } : {}) });
          out.files.set(current, { kind: 'blob', blob });
        } else {
          const blob = await content.ingest(entry as unknown as Readable, { size: h.size, ...(signal ? { signal } : {}) });
          out.files.set(current, { kind: 'blob', blob });
        }
      } else {
        if (h.type === 'symlink') out.links.set(current, clean(path.posix.join(path.posix.dirname(current), h.linkname)));
        else if (h.type === 'link') out.links.set(current, clean(h.linkname));
        await readAll(entry as unknown as Readable);
      }
    }
  } catch (e) {
    if (isTsbuildError(e) && e.code === 'TSB4001') {
      throw new TsbuildError('TSB4001', `${file}: blob ${current} does not match its digest or size`, { cause: e });
    }
    if (isTsbuildError(e) || (e as Error).name === 'AbortError') throw e;
    throw invalidArchive(file, `not a readable image archive (${(e as Error).message})`, e);
  } finally {
    src.destroy();
  }
  return out;
}

/** Follows links (a few hops at most) to the stored file an archive path names. */
export function lookup(scanned: ScannedTar, name: string): ScannedFile | undefined {
  let n = clean(name);
  for (let hops = 0; hops < 16; hops++) {
    const f = scanned.files.get(n);
    if (f) return f;
    const next = scanned.links.get(n);
    if (next === undefined) return undefined;
    n = next;
  }
  return undefined;
}

/** Bytes of a scanned file (reads back from the store for large ones). */
export async function fileBytes(content: ContentStore, f: ScannedFile): Promise<Buffer> {
  return f.kind === 'buffer' ? f.data : content.readBuffer(f.blob.digest);
}

/** Makes sure a scanned file is in the content store and returns its digest and size. */
export async function fileBlob(content: ContentStore, f: ScannedFile): Promise<BlobInfo> {
  return f.kind === 'blob' ? f.blob : content.putBuffer(f.data);
}
