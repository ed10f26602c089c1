// Tests for tar chunking: lossless, independent of read sizes, cuts at entries, local effect of a change.
import { describe, it, expect } from 'vitest';
import { createCipheriv } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { packTar, tarHeader, type PackEntry } from './index.js';
import { TarChunker, type ChunkLimits } from './chunker.js';
import { encodeHeader } from './tar-format.js';

const LIMITS: ChunkLimits = { min: 16 * 1024, target: 64 * 1024, max: 256 * 1024, step: 64 * 1024 };

/** Deterministic pseudo-random bytes. */
function noise(n: number, seed: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(seed);
  return createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), iv).update(Buffer.alloc(n));
}

function files(n: number, change?: { index: number; data: Buffer }): PackEntry[] {
  const out: PackEntry[] = [];
  for (let i = 0; i < n; i++) {
    const data = change?.index === i ? change.data : noise(1000 + ((i * 37) % 3000), i);
    out.push({ header: tarHeader({ name: `dir/file-${i}`, type: 'file', size: data.length }), data });
  }
  return out;
}

function split(tar: Buffer, pieces: number[], limits = LIMITS): Buffer[] {
  const c = new TarChunker(limits);
  const chunks: Buffer[] = [];
  let off = 0;
  let k = 0;
  while (off < tar.length) {
    const n = pieces[k++ % pieces.length] ?? 1;
    chunks.push(...c.push(tar.subarray(off, off + n)));
    off += n;
  }
  chunks.push(...c.end());
  return chunks;
}

function isHeader(b: Buffer): boolean {
  return b.length >= 512 && b.toString('latin1', 257, 262) === 'ustar';
}

describe('TarChunker', () => {
  it('reproduces the input and cuts the same wherever the reads end', async () => {
    const tar = await buffer(packTar(files(300)));
    const a = split(tar, [tar.length]);
    const b = split(tar, [1, 511, 7, 4096, 100_003]);
    expect(Buffer.concat(a).equals(tar)).toBe(true);
    expect(b.map((c) => c.length)).toEqual(a.map((c) => c.length));
    expect(a.length).toBeGreaterThan(3);
    // Each chunk begins with a header: cuts sit between entries.
    for (const c of a) expect(isHeader(c)).toBe(true);
    for (const c of a.slice(0, -1)) expect(c.length).toBeLessThanOrEqual(LIMITS.max);
  });

  it('a changed file changes at most the chunks around it', async () => {
    const before = split(await buffer(packTar(files(400))), [65536]);
    const after = split(await buffer(packTar(files(400, { index: 200, data: noise(2500, 99) }))), [65536]);
    const seen = new Set(before.map((c) => c.toString('base64')));
    const fresh = after.filter((c) => !seen.has(c.toString('base64')));
    expect(fresh.length).toBeGreaterThanOrEqual(1);
    expect(fresh.length).toBeLessThanOrEqual(2);
  });

  it('an inserted file leaves later chunks as they were', async () => {
    const base = files(400);
    const inserted = [...base.slice(0, 100), { header: tarHeader({ name: 'dir/new', type: 'file', size: 3000 }), data: noise(3000, 5) }, ...base.slice(100)];
    const before = split(await buffer(packTar(base)), [65536]);
    const after = split(await buffer(packTar(inserted)), [65536]);
    const seen = new Set(before.map((c) => c.toString('base64')));
    expect(after.filter((c) => !seen.has(c.toString('base64'))).length).toBeLessThanOrEqual(2);
  });

  it('cuts a large file body at fixed offsets from its start', async () => {
    const big = noise(1024 * 1024, 1);
    const small = (name: string, n: number): PackEntry => ({ header: tarHeader({ name, type: 'file', size: n }), data: noise(n, n) });
    const body = (pre: PackEntry[]): PackEntry[] => [...pre, { header: tarHeader({ name: 'big', type: 'file', size: big.length }), data: big }];
    const a = split(await buffer(packTar(body([small('a', 100)]))), [8192]);
    const b = split(await buffer(packTar(body([small('a', 5000), small('b', 7000)]))), [8192]);
    const inner = (cs: Buffer[]): string[] => cs.slice(1, -1).map((c) => c.toString('base64'));
    // Only the first piece (with the preceding entries) and the last differ.
    expect(inner(a).length).toBeGreaterThan(10);
    expect(inner(b)).toEqual(inner(a));
    for (const c of a.slice(1, -1)) expect(c.length).toBe(LIMITS.step);
  });

  it('splits bytes that are not a tar by size', () => {
    const junk = Buffer.alloc(1024 * 1024, 0x41);
    const cs = split(junk, [10_000]);
    expect(Buffer.concat(cs).equals(junk)).toBe(true);
    expect(cs.map((c) => c.length)).toEqual([256, 256, 256, 256].map((k) => k * 1024));
  });
});

describe('TarChunker at the size cap', () => {
  it('keeps every byte when a PAX header group fills a chunk and the next header ends a read', () => {
    const limits: ChunkLimits = { min: 1024, target: 2 ** 40, max: 4096, step: 2 ** 20 };
    const data = noise(1000, 5);
    // An xattr sized so the PAX header block and its padded records are exactly `max` bytes.
    const value = Buffer.alloc(3300, 0x61);
    const head = encodeHeader(tarHeader({ name: 'f', type: 'file', size: data.length, xattrs: new Map([['user.k', value]]) }));
    expect(head.length).toBe(limits.max + 512);
    const pieces = [head, Buffer.concat([data, Buffer.alloc(24)]), Buffer.alloc(1024)];
    const c = new TarChunker(limits);
    const out: Buffer[] = [];
    for (const p of pieces) out.push(...c.push(p));
    out.push(...c.end());
    expect(Buffer.concat(out).equals(Buffer.concat(pieces))).toBe(true);
  });
});
