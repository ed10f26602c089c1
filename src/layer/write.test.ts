// Tests for writeLayer: digests against sha256sum, empty layers, sink failures, bounded memory.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { diffTrees, writeLayer, type Compression } from './index.js';
import { tempDir } from './test-util.js';
import type { Digest } from '../core/index.js';

let base: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir: base, cleanup } = await tempDir());
});
afterEach(() => cleanup());

function fileSink(file: string) {
  return async (compressed: Readable): Promise<{ digest: Digest; size: number }> => {
    const h = createHash('sha256');
    let size = 0;
    compressed.on('data', (c: Buffer) => {
      h.update(c);
      size += c.length;
    });
    await pipeline(compressed, createWriteStream(file));
    return { digest: `sha256:${h.digest('hex')}`, size };
  };
}

function sha256sum(file: string): string {
  return `sha256:${execFileSync('sha256sum', [file]).toString().split(' ')[0]}`;
}

describe('writeLayer', () => {
  for (const [compression, unpack] of [
    ['gzip', ['gzip', '-dc']],
    ['zstd', ['zstd', '-dc']],
    ['none', ['cat']],
  ] as Array<[Compression, string[]]>) {
    it(`${compression}: digests match sha256sum of the stored and the uncompressed bytes`, async () => {
      const tree = path.join(base, 'tree');
      await mkdir(path.join(tree, 'd'), { recursive: true });
      await writeFile(path.join(tree, 'd/f'), 'content '.repeat(1000));
      const blob = path.join(base, 'blob');
      const res = await writeLayer(diffTrees(undefined, tree, { sourceDateEpoch: 0 }), { compression, sink: fileSink(blob) });
      expect(res.digest).toBe(sha256sum(blob));
      const tarFile = path.join(base, 'layer.tar');
      execFileSync('sh', ['-c', `${unpack.join(' ')} < "${blob}" > "${tarFile}"`]);
      expect(res.diffId).toBe(sha256sum(tarFile));
      expect(res.uncompressedSize).toBe((await stat(tarFile)).size);
      expect(res.empty).toBe(false);
      expect(res.mediaType).toMatch(/^application\/vnd\.oci\.image\.layer\.v1\.tar/);
      expect(execFileSync('tar', ['-tf', tarFile]).toString()).toBe('d/\nd/f\n');
    });
  }

  it('reports an empty layer', async () => {
    const tree = path.join(base, 'empty');
    await mkdir(tree);
    const res = await writeLayer(diffTrees(undefined, tree), { compression: 'gzip', sink: fileSink(path.join(base, 'b')) });
    expect(res.empty).toBe(true);
    expect(res.uncompressedSize).toBe(1024);
  });

  it('propagates sink failures without hanging', async () => {
    const tree = path.join(base, 'tree');
    await mkdir(tree);
    await writeFile(path.join(tree, 'f'), Buffer.alloc(5_000_000, 1));
    const sink = async (s: Readable): Promise<{ digest: Digest; size: number }> => {
      s.pause();
      throw new Error('disk full');
    };
    await expect(writeLayer(diffTrees(undefined, tree), { compression: 'none', sink })).rejects.toThrow('disk full');
  });

  it('streams a 200 MB file through diff and compression without buffering it', async () => {
    const tree = path.join(base, 'big');
    await mkdir(tree);
    const size = 200 * 1024 * 1024;
    await writeFile(path.join(tree, 'zeros'), '');
    await truncate(path.join(tree, 'zeros'), size);
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    let seen = 0;
    const sink = async (s: Readable): Promise<{ digest: Digest; size: number }> => {
      const h = createHash('sha256');
      for await (const c of s as AsyncIterable<Buffer>) {
        h.update(c);
        seen += c.length;
      }
      return { digest: `sha256:${h.digest('hex')}`, size: seen };
    };
    try {
      const res = await writeLayer(diffTrees(undefined, tree), { compression: 'zstd', sink });
      expect(res.uncompressedSize).toBe(512 + size + 1024);
      expect(res.size).toBe(seen);
    } finally {
      clearInterval(timer);
    }
    console.log(`rss growth while streaming 200 MB: ${Math.round((peak - before) / 1048576)} MB`);
    expect(peak - before).toBeLessThan(100 * 1024 * 1024);
  }, 60_000);
});
