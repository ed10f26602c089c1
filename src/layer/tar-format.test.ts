// Tests for the tar header codec and reader: ustar, PAX, GNU long names, corrupt input.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { encodeHeader, decodeHeader, checksumMatches } from './tar-format.js';
import { header, packTar } from './tar-write.js';
import { buffer, listTar, tempDir } from './test-util.js';

describe('tar header codec', () => {
  it('uses plain ustar when everything fits', () => {
    const b = encodeHeader(header({ name: 'a/b', type: 'file', size: 3, mode: 0o4755, uid: 1000, gid: 1000, mtime: 1700000000 }));
    expect(b.length).toBe(512);
    expect(checksumMatches(b)).toBe(true);
    expect(decodeHeader(b)).toMatchObject({ name: 'a/b', mode: 0o4755, uid: 1000, size: 3, mtime: 1700000000, typeflag: '0' });
    expect(b.toString('latin1', 257, 265)).toBe('ustar\x0000');
    expect(b.toString('latin1', 265, 297).replace(/\0/g, '')).toBe('');
  });

  it('round-trips PAX records for big ids, long links and binary xattrs', async () => {
    const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0xff, 0x0a, 0x3d, 0x80]);
    const tar = packTar([
      { header: header({ name: 'big-ids', type: 'file', uid: 3_000_000, gid: 70_000_000, size: 1, xattrs: new Map([['security.capability', cap]]) }), data: Buffer.from('x') },
      { header: header({ name: 'l', type: 'symlink', linkname: `${'t/'.repeat(80)}end` }) },
      { header: header({ name: `${'n'.repeat(150)}`, type: 'file' }) },
      { header: header({ name: 'dev', type: 'block', devmajor: 8, devminor: 1 }) },
    ]);
    const bytes = await buffer(tar);
    const [a, l, n, d] = (await listTar(bytes)).map((e) => e.header);
    expect(a).toMatchObject({ name: 'big-ids', uid: 3_000_000, gid: 70_000_000, size: 1 });
    expect(a?.xattrs.get('security.capability')?.equals(cap)).toBe(true);
    expect(l?.linkname).toBe(`${'t/'.repeat(80)}end`);
    expect(n?.name).toBe('n'.repeat(150));
    expect(d).toMatchObject({ type: 'block', devmajor: 8, devminor: 1 });
    // Deterministic encoding.
    expect((await buffer(packTar([{ header: header({ name: 'n'.repeat(150), type: 'file' }) }]))).equals(
      await buffer(packTar([{ header: header({ name: 'n'.repeat(150), type: 'file' }) }])),
    )).toBe(true);
  });

  it('reads GNU-format archives with long names (././@LongLink)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const long = `${'x'.repeat(120)}/${'y'.repeat(120)}`;
      await mkdir(path.join(dir, 'src', path.dirname(long)), { recursive: true });
      await writeFile(path.join(dir, 'src', long), 'gnu');
      const file = path.join(dir, 'g.tar');
      execFileSync('tar', ['--format=gnu', '-cf', file, '-C', path.join(dir, 'src'), '.']);
      const entries = await listTar(Readable.from([execFileSync('cat', [file])]));
      const e = entries.find((x) => x.header.name.endsWith('y'.repeat(120)));
      expect(e?.header.name).toBe(`./${long}`);
      expect(e?.content.toString()).toBe('gnu');
    } finally {
      await cleanup();
    }
  });

  it('rejects garbage with TSB3102', async () => {
    await expect(listTar(Buffer.alloc(1024, 0x41))).rejects.toMatchObject({ code: 'TSB3102' });
  });
});
