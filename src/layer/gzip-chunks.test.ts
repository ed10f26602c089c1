// Tests for chunked gzip layers: multi-member output read by every gunzip, reuse gives identical bytes.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createGunzip, gunzipSync } from 'node:zlib';
import { ContentStore } from '../content/index.js';
import { ChunkIndex, dropChunkIndex, packTar, tarHeader, writeLayer, type PackEntry } from './index.js';
import { tempDir } from './test-util.js';
import type { Digest } from '../core/index.js';

let base: string;
let cleanup: () => Promise<void>;
let store: ContentStore;
const indexDir = (): string => path.join(base, 'layer-chunks');
const newIndex = (): ChunkIndex => new ChunkIndex({ dir: indexDir(), blobPath: (d) => store.path(d) });

beforeEach(async () => {
  ({ dir: base, cleanup } = await tempDir('tsb-chunks-'));
  store = new ContentStore(base);
});
afterEach(() => cleanup());

function noise(n: number, seed: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(seed);
  return createCipheriv('aes-128-ctr', Buffer.alloc(16, 3), iv).update(Buffer.alloc(n));
}

/** ~6 MiB of files, half pseudo-random, half text, so that the layer has several chunks. */
function layer(o: { changed?: number; extra?: boolean } = {}): Readable {
  const entries: PackEntry[] = [];
  for (let i = 0; i < 600; i++) {
    const data = i % 2 ? noise(10_000, i === o.changed ? 1e6 : i) : Buffer.from(`line ${i} of some text\n`.repeat(400 + (i === o.changed ? 1 : 0)));
    entries.push({ header: tarHeader({ name: `app/f${String(i).padStart(4, '0')}`, type: 'file', size: data.length }), data });
    if (o.extra && i === 300) entries.push({ header: tarHeader({ name: 'app/inserted', type: 'file', size: 4000 }), data: noise(4000, 42) });
  }
  return packTar(entries);
}

const toStore = (s: Readable): Promise<{ digest: Digest; size: number }> => store.ingest(s);

describe('chunked gzip layers', () => {
  it('are several gzip members that node, gzip and tar read as one stream', async () => {
    const tar = await buffer(layer());
    const res = await writeLayer(Readable.from([tar]), { compression: 'gzip', sink: toStore });
    const blob = await readFile(store.path(res.digest));
    expect(res.chunks?.chunks).toBeGreaterThan(3);
    // A member header at the start and again after the first member.
    expect(blob.subarray(0, 4)).toEqual(Buffer.from([0x1f, 0x8b, 8, 0]));
    expect(blob.indexOf(Buffer.from([0, 0, 0, 0, 0, 3]), 10)).toBeGreaterThan(0);
    expect(gunzipSync(blob).equals(tar)).toBe(true);
    expect((await buffer(Readable.from([blob]).pipe(createGunzip()))).equals(tar)).toBe(true);
    expect(execFileSync('gzip', ['-dc'], { input: blob, maxBuffer: 64 << 20 }).equals(tar)).toBe(true);
    expect(execFileSync('tar', ['-tzf', store.path(res.digest)], { maxBuffer: 64 << 20 }).toString().split('\n')).toContain('app/f0599');
    expect(res.diffId).toBe(`sha256:${createHash('sha256').update(tar).digest('hex')}`);
  });

  it('reusing chunks of an earlier, different layer gives the bytes of a cold write', async () => {
    const cold = await writeLayer(layer({ changed: 301, extra: true }), { compression: 'gzip', sink: toStore });
    expect(cold.chunks?.reused).toBe(0);
    await writeLayer(layer(), { compression: 'gzip', sink: toStore, chunkIndex: newIndex() });
    const warm = await writeLayer(layer({ changed: 301, extra: true }), { compression: 'gzip', sink: toStore, chunkIndex: newIndex() });
    expect(warm.digest).toBe(cold.digest);
    expect(warm.diffId).toBe(cold.diffId);
    const stats = warm.chunks;
    expect(stats?.reused).toBeGreaterThan(0);
    expect(stats?.reused).toBeGreaterThanOrEqual((stats?.chunks ?? 0) - 3);
    // Its own chunks are now recorded too: writing it again reuses every chunk.
    const again = await writeLayer(layer({ changed: 301, extra: true }), { compression: 'gzip', sink: toStore, chunkIndex: newIndex() });
    expect(again.digest).toBe(cold.digest);
    expect(again.chunks?.reused).toBe(again.chunks?.chunks);
  });

  it('ignores records whose blob was deleted, and drops their side file', async () => {
    const first = await writeLayer(layer(), { compression: 'gzip', sink: toStore, chunkIndex: newIndex() });
    await store.delete(first.digest);
    const res = await writeLayer(layer({ changed: 5 }), { compression: 'gzip', sink: toStore, chunkIndex: newIndex() });
    expect(res.chunks?.reused).toBe(0);
    const names = await readdir(indexDir());
    expect(names).not.toContain(first.digest.slice(7));
    expect(names).toContain(res.digest.slice(7));
    await dropChunkIndex(base, res.digest);
    expect(await readdir(indexDir())).not.toContain(res.digest.slice(7));
  });

  it('skips torn lines and never trusts a record that does not match the stored bytes', async () => {
    const first = await writeLayer(layer(), { compression: 'gzip', sink: toStore, chunkIndex: newIndex() });
    const file = path.join(indexDir(), first.digest.slice(7));
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    // Shift every member's offset by one byte, and tear the last line.
    const shifted = lines.slice(1).map((l) => {
      const [h, s, off, len] = l.split(' ');
      return `${h} ${s} ${Number(off) + 1} ${len}`;
    });
    await writeFile(file, [lines[0], ...shifted.slice(0, -1), (shifted.at(-1) ?? '').slice(0, 20)].join('\n'));
    const res = await writeLayer(layer(), { compression: 'gzip', sink: toStore, chunkIndex: newIndex() });
    expect(res.chunks?.reused).toBe(0);
    expect(res.digest).toBe(first.digest);
  });

  it('compresses the same with any number of chunks in flight', async () => {
    const a = await writeLayer(layer(), { compression: 'gzip', sink: toStore, concurrency: 1 });
    const b = await writeLayer(layer(), { compression: 'gzip', sink: toStore, concurrency: 4 });
    expect(b.digest).toBe(a.digest);
  });

  it('fails cleanly when the tar stream fails', async () => {
    async function* broken(): AsyncGenerator<Buffer> {
      const tar = await buffer(layer());
      for (let off = 0; off < 3_000_000; off += 65536) yield tar.subarray(off, off + 65536);
      throw new Error('read failed');
    }
    await expect(writeLayer(Readable.from(broken()), { compression: 'gzip', sink: toStore, chunkIndex: newIndex() })).rejects.toThrow('read failed');
    expect(await readdir(store.blobsDir).catch(() => [])).toEqual([]);
  });
});
