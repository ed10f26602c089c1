// Tests for layer compression: round trips, magic detection, deterministic gzip, bzip2/xz via system tools.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, type Transform } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { compressStream, decompressStream, detectCompression, mediaTypeFor, openMaybeCompressed } from './index.js';
import type { Compression } from './index.js';

const sample = Buffer.concat([randomBytes(50_000), Buffer.alloc(200_000, 7), Buffer.from('tail')]);

async function through(data: Buffer, t: Transform): Promise<Buffer> {
  return buffer(Readable.from([data]).pipe(t));
}

describe('compression', () => {
  for (const c of ['gzip', 'zstd', 'none'] as Compression[]) {
    it(`${c}: round trip and detection`, async () => {
      const packed = await through(sample, compressStream(c));
      expect(detectCompression(packed)).toBe(c);
      expect((await through(packed, decompressStream(c))).equals(sample)).toBe(true);
      const opened = await buffer(await openMaybeCompressed(Readable.from([packed])));
      expect(opened.equals(sample)).toBe(true);
    });
  }

  it('gzip output is deterministic (no name, zero mtime)', async () => {
    const a = await through(sample, compressStream('gzip'));
    await new Promise((r) => setTimeout(r, 1100));
    const b = await through(sample, compressStream('gzip'));
    expect(a.equals(b)).toBe(true);
    expect(a.readUInt32LE(4)).toBe(0);
    expect((a[3] ?? 0) & 0x08).toBe(0);
  });

  for (const [tool, kind] of [
    ['bzip2', 'bzip2'],
    ['xz', 'xz'],
  ] as const) {
    it(`${kind}: decompresses fixtures made by the system ${tool}`, async () => {
      const packed = execFileSync(tool, ['-c'], { input: sample });
      expect(detectCompression(packed)).toBe(kind);
      expect((await through(packed, decompressStream(kind))).equals(sample)).toBe(true);
      // Byte-at-a-time input exercises backpressure and chunk handling.
      const chunks = [...Array(Math.ceil(packed.length / 7)).keys()].map((i) => packed.subarray(i * 7, i * 7 + 7));
      const opened = await buffer(await openMaybeCompressed(Readable.from(chunks)));
      expect(createHash('sha256').update(opened).digest('hex')).toBe(createHash('sha256').update(sample).digest('hex'));
    });

    it(`${kind}: corrupt data fails with TSB3102`, async () => {
      const packed = execFileSync(tool, ['-c'], { input: sample });
      const bad = Buffer.concat([packed.subarray(0, 40), Buffer.alloc(100, 0x55)]);
      await expect(through(bad, decompressStream(kind))).rejects.toMatchObject({ code: 'TSB3102' });
    });
  }

  it('detects plain data as none and handles empty input', async () => {
    expect(detectCompression(Buffer.from('hello world'))).toBe('none');
    expect(detectCompression(Buffer.alloc(0))).toBe('none');
    expect((await buffer(await openMaybeCompressed(Readable.from([])))).length).toBe(0);
  });

  it('media types', () => {
    expect(mediaTypeFor('gzip')).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(mediaTypeFor('zstd')).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    expect(mediaTypeFor('none')).toBe('application/vnd.oci.image.layer.v1.tar');
  });
});
