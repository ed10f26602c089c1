// Index of compressed chunks inside stored layer blobs, so unchanged data is copied instead of recompressed.
//
// One side file per layer blob, `<root>/layer-chunks/<blob hex>`, written atomically after the blob
// is stored. It lists, per chunk, the blake3 of its uncompressed bytes, its uncompressed size, and
// where its compressed member sits in the blob. Lines that do not parse are skipped; entries whose
// blob has gone (`cache prune`) are dropped when a read finds it missing.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, type Digest } from '../core/index.js';

const MAGIC = 'tsbuild-layer-chunks 1';
const DIR = 'layer-chunks';

export interface ChunkRecord {
  /** blake3 hex of the uncompressed chunk. */
  hash: string;
  /** Uncompressed bytes. */
  size: number;
  /** Where the compressed member starts in the blob, and its length. */
  offset: number;
  length: number;
}

export interface ChunkLocation {
  blob: Digest;
  offset: number;
  length: number;
  size: number;
}

export interface ChunkIndexOptions {
  /** Directory of the side files. */
  dir: string;
  /** Where the content store keeps a blob. */
  blobPath: (d: Digest) => string;
}

const HEX64 = /^[a-f0-9]{64}$/;

/** The side-file directory under a store root. */
export function chunkIndexDir(root: string): string {
  return path.join(path.resolve(root), DIR);
}

/** Removes the side file of a deleted blob; a missing file is fine. */
export async function dropChunkIndex(root: string, blob: Digest): Promise<void> {
  const hex = blob.slice(blob.indexOf(':') + 1);
  if (!HEX64.test(hex)) return;
  await fsp.rm(path.join(chunkIndexDir(root), hex), { force: true });
}

/**
 * Chunk records of the stored blobs, loaded on first lookup and extended as layers are written.
 * Records are kept per codec (compressor, level, library version): a member is only reused where a
 * fresh compression would produce exactly the same bytes.
 */
export class ChunkIndex {
  readonly dir: string;
  private readonly blobPath: (d: Digest) => string;
  private byKey = new Map<string, ChunkLocation[]>();
  private loading: Promise<void> | undefined;

  constructor(o: ChunkIndexOptions) {
    this.dir = o.dir;
    this.blobPath = o.blobPath;
  }

  pathOf(blob: Digest): string {
    return this.blobPath(blob);
  }

  /** Stored places of a chunk with this codec and hash (possibly several blobs). */
  async lookup(codec: string, hash: string): Promise<readonly ChunkLocation[]> {
    await (this.loading ??= this.load());
    return this.byKey.get(`${codec} ${hash}`) ?? [];
  }

  /** Adds the chunks of a newly stored blob; best effort (a failure only loses future reuse). */
  async record(blob: Digest, codec: string, chunks: readonly ChunkRecord[]): Promise<void> {
    const hex = blob.slice(blob.indexOf(':') + 1);
    if (!HEX64.test(hex) || /\s/.test(codec)) return;
    const lines = [`${MAGIC} ${codec}`, ...chunks.map((c) => `${c.hash} ${c.size} ${c.offset} ${c.length}`)];
    await fsp.mkdir(this.dir, { recursive: true });
    await writeFileAtomic(path.join(this.dir, hex), `${lines.join('\n')}\n`);
    if (this.loading) this.add(blob, codec, chunks);
  }

  /** Forgets a blob that turned out to be missing, and its side file. */
  async forget(blob: Digest): Promise<void> {
    for (const [k, locs] of this.byKey) {
      const keep = locs.filter((l) => l.blob !== blob);
      if (keep.length === 0) this.byKey.delete(k);
      else if (keep.length !== locs.length) this.byKey.set(k, keep);
    }
    const hex = blob.slice(blob.indexOf(':') + 1);
    if (HEX64.test(hex)) await fsp.rm(path.join(this.dir, hex), { force: true }).catch(() => undefined);
  }

  private add(blob: Digest, codec: string, chunks: readonly ChunkRecord[]): void {
    for (const c of chunks) {
      const key = `${codec} ${c.hash}`;
      const locs = this.byKey.get(key) ?? [];
      if (!locs.some((l) => l.blob === blob)) locs.push({ blob, offset: c.offset, length: c.length, size: c.size });
      this.byKey.set(key, locs);
    }
  }

  private async load(): Promise<void> {
    let names: string[];
    try {
      names = await fsp.readdir(this.dir);
    } catch {
      return;
    }
    const files = names.filter((n) => HEX64.test(n)).sort();
    // A few reads at a time: a store may hold many layers' side files.
    for (let i = 0; i < files.length; i += 16) {
      const batch = files.slice(i, i + 16);
      const texts = await Promise.all(batch.map((n) => fsp.readFile(path.join(this.dir, n), 'utf8').catch(() => undefined)));
      batch.forEach((name, k) => {
        const parsed = texts[k] === undefined ? undefined : parseSideFile(texts[k]);
        if (parsed) this.add(`sha256:${name}`, parsed.codec, parsed.chunks);
      });
    }
  }
}

/** The codec and records of a side file; undefined for a foreign or damaged header. */
export function parseSideFile(text: string): { codec: string; chunks: ChunkRecord[] } | undefined {
  const lines = text.split('\n');
  const head = lines[0] ?? '';
  if (!head.startsWith(`${MAGIC} `)) return undefined;
  const codec = head.slice(MAGIC.length + 1);
  if (codec === '' || /\s/.test(codec)) return undefined;
  const chunks: ChunkRecord[] = [];
  for (const line of lines.slice(1)) {
    const m = /^([a-f0-9]{64}) (\d{1,15}) (\d{1,15}) (\d{1,15})$/.exec(line);
    // A torn or foreign line is skipped, not trusted.
    if (!m) continue;
    chunks.push({ hash: m[1] as string, size: Number(m[2]), offset: Number(m[3]), length: Number(m[4]) });
  }
  return { codec, chunks };
}

const shared = new Map<string, ChunkIndex>();

/** One index per store root for the life of the process, so layer steps of a build share the loaded records. */
export function chunkIndexAt(root: string, blobPath: (d: Digest) => string): ChunkIndex {
  const dir = chunkIndexDir(root);
  let idx = shared.get(dir);
  if (!idx) {
    idx = new ChunkIndex({ dir, blobPath });
    shared.set(dir, idx);
  }
  return idx;
}
