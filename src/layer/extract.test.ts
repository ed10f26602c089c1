// Tests for extractTar and isArchive (ADD of local archives).
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readFile, readdir, writeFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { extractTar, isArchive } from './index.js';
import { buffer, makeTar, snapshotTree, tempDir } from './test-util.js';

let base: string;
let cleanup: () => Promise<void>;
let src: string;
let dest: string;

beforeEach(async () => {
  ({ dir: base, cleanup } = await tempDir());
  src = path.join(base, 'src');
  dest = path.join(base, 'dest');
  await mkdir(path.join(src, 'tree/sub'), { recursive: true });
  await writeFile(path.join(src, 'tree/a.txt'), 'alpha');
  await writeFile(path.join(src, 'tree/sub/.wh.keep'), 'literal');
  await symlink('a.txt', path.join(src, 'tree/link'));
  await mkdir(dest);
});
afterEach(() => cleanup());

function systemTar(flag: string, out: string): string {
  const file = path.join(base, out);
  execFileSync('tar', [`-c${flag}f`, file, '-C', path.join(src, 'tree'), '.']);
  return file;
}

describe('extractTar', () => {
  for (const [flag, ext] of [
    ['', 'tar'],
    ['z', 'tar.gz'],
    ['j', 'tar.bz2'],
    ['J', 'tar.xz'],
  ] as const) {
    it(`extracts a system-made .${ext}, keeps .wh. names, overwrites files`, async () => {
      const file = systemTar(flag, `t.${ext}`);
      await writeFile(path.join(dest, 'a.txt'), 'old');
      await extractTar(createReadStream(file), dest);
      expect(await readFile(path.join(dest, 'a.txt'), 'utf8')).toBe('alpha');
      expect(await readFile(path.join(dest, 'sub/.wh.keep'), 'utf8')).toBe('literal');
      expect((await lstat(path.join(dest, 'link'))).isSymbolicLink()).toBe(true);
    });
  }

  it('applies a chown override to every entry', async () => {
    if (process.getuid?.() !== 0) return;
    await extractTar(createReadStream(systemTar('z', 't.tgz')), dest, { chown: { uid: 1234, gid: 5678 } });
    for (const name of ['a.txt', 'sub', 'sub/.wh.keep', 'link']) {
      const st = await lstat(path.join(dest, name));
      expect([name, st.uid, st.gid]).toEqual([name, 1234, 5678]);
    }
  });

  it('refuses entries escaping the destination', async () => {
    const outside = path.join(base, 'outside');
    await mkdir(outside);
    const before = await snapshotTree(outside);
    const tar = await buffer(makeTar([{ name: '../outside/x', type: 'file', content: 'pwn' }]));
    const { Readable } = await import('node:stream');
    await expect(extractTar(Readable.from([tar]), dest)).rejects.toMatchObject({ code: 'TSB3101' });
    expect(await snapshotTree(outside)).toEqual(before);
    expect(await readdir(dest)).toEqual([]);
  });
});

describe('isArchive', () => {
  it('recognises tar files whatever the compression', async () => {
    for (const [flag, ext] of [
      ['', 'tar'],
      ['z', 'tgz'],
      ['j', 'tbz'],
      ['J', 'txz'],
    ] as const) {
      expect([ext, await isArchive(systemTar(flag, `x.${ext}`))]).toEqual([ext, true]);
    }
  });

  it('rejects non-tar files, compressed or not', async () => {
    const text = path.join(base, 'plain.txt');
    await writeFile(text, 'hello\n'.repeat(200));
    expect(await isArchive(text)).toBe(false);
    const gz = path.join(base, 'plain.txt.gz');
    execFileSync('sh', ['-c', `gzip -c "${text}" > "${gz}"`]);
    expect(await isArchive(gz)).toBe(false);
    const empty = path.join(base, 'empty');
    await writeFile(empty, '');
    expect(await isArchive(empty)).toBe(false);
    const fakeGz = path.join(base, 'fake.gz');
    await writeFile(fakeGz, Buffer.from([0x1f, 0x8b, 0x08, 0, 1, 2, 3, 4, 5, 6, 7]));
    expect(await isArchive(fakeGz)).toBe(false);
  });
});
