// Tests for applyLayer: every entry type, whiteouts, and archives that try to escape destDir.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readFile, readdir, symlink, writeFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { applyLayer } from './index.js';
import { makeTar, snapshotTree, tempDir, type Spec } from './test-util.js';
import { have } from '../../test/helpers/env.js';

let base: string;
let cleanup: () => Promise<void>;
let dest: string;
let outside: string;

beforeEach(async () => {
  ({ dir: base, cleanup } = await tempDir());
  dest = path.join(base, 'dest');
  outside = path.join(base, 'outside');
  await mkdir(dest);
  await mkdir(path.join(outside, 'sub'), { recursive: true });
  await writeFile(path.join(outside, 'secret'), 'do not touch');
});
afterEach(() => cleanup());

describe('applyLayer: malicious archives', () => {
  const cases: Array<[string, () => Spec[]]> = [
    ['../x', () => [{ name: '../x', type: 'file', content: 'pwn' }]],
    ['/abs', () => [{ name: path.join(outside, 'abs'), type: 'file', content: 'pwn' }]],
    ['a/../../x', () => [{ name: 'a/../../outside/x', type: 'file', content: 'pwn' }]],
    [
      'symlink to an absolute outside dir, then a file beneath it',
      () => [
        { name: 'l', type: 'symlink', linkname: outside },
        { name: 'l/file', type: 'file', content: 'pwn' },
      ],
    ],
    [
      'symlink chain climbing with ..',
      () => [
        { name: 'd/', type: 'dir' },
        { name: 'd/l1', type: 'symlink', linkname: '..' },
        { name: 'd/l2', type: 'symlink', linkname: 'l1/../outside' },
        { name: 'd/l2/secret', type: 'file', content: 'pwn' },
      ],
    ],
    ['hardlink to ../../etc/passwd', () => [{ name: 'h', type: 'link', linkname: '../../etc/passwd' }]],
    [
      'hardlink to a symlink leading outside',
      () => [
        { name: 's', type: 'symlink', linkname: path.join(outside, 'secret') },
        { name: 'h', type: 'link', linkname: 's' },
      ],
    ],
    [
      'symlink as a directory entry name replaced then written through',
      () => [
        { name: 'x', type: 'symlink', linkname: '../outside' },
        { name: 'x/sub/y', type: 'file', content: 'pwn' },
      ],
    ],
  ];

  for (const [label, specs] of cases) {
    for (const format of ['plain', 'overlay'] as const) {
      it(`${format}: ${label} → TSB3101, outside untouched`, async () => {
        const before = await snapshotTree(outside);
        await expect(applyLayer(makeTar(specs()), dest, { format })).rejects.toMatchObject({ code: 'TSB3101' });
        expect(await snapshotTree(outside)).toEqual(before);
      });
    }
  }

  it('pre-existing symlinked parent dir in destDir', async () => {
    await symlink(outside, path.join(dest, 'p'));
    await symlink('../outside', path.join(dest, 'q'));
    const before = await snapshotTree(outside);
    for (const name of ['p/file', 'q/file', 'p/sub/file']) {
      const tar = makeTar([{ name, type: 'file', content: 'pwn' }]);
      await expect(applyLayer(tar, dest, { format: 'plain' })).rejects.toMatchObject({ code: 'TSB3101' });
    }
    expect(await snapshotTree(outside)).toEqual(before);
  });

  it('error names the offending entry', async () => {
    const err = await applyLayer(makeTar([{ name: 'ok', type: 'file', content: 'x' }, { name: '../evil', type: 'file' }]), dest, {
      format: 'plain',
    }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('../evil');
  });

  it('a file replacing an existing symlink does not write through it', async () => {
    await symlink(path.join(outside, 'secret'), path.join(dest, 'f'));
    const before = await snapshotTree(outside);
    await applyLayer(makeTar([{ name: 'f', type: 'file', content: 'new' }]), dest, { format: 'plain' });
    expect(await readFile(path.join(dest, 'f'), 'utf8')).toBe('new');
    expect((await lstat(path.join(dest, 'f'))).isFile()).toBe(true);
    expect(await snapshotTree(outside)).toEqual(before);
  });
});

describe('applyLayer: plain', () => {
  it('creates every entry type with modes, owners and mtimes', async () => {
    const isRoot = process.getuid?.() === 0;
    const specs: Spec[] = [
      { name: 'bin/', type: 'dir', mtime: 1000, mode: 0o755 },
      { name: 'bin/su', type: 'file', content: 'suid', mode: 0o4755, uid: 12, gid: 34, mtime: 2000 },
      { name: 'bin/sg', type: 'file', content: 'sgid', mode: 0o2711, mtime: 2000 },
      { name: 'bin/link', type: 'link', linkname: 'bin/su' },
      { name: 'bin/sym', type: 'symlink', linkname: 'su', mtime: 3000 },
      { name: 'tmp/', type: 'dir', mode: 0o1777, mtime: 1500 },
      { name: 'tmp/fifo', type: 'fifo', mode: 0o600, mtime: 1600 },
      { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'zero-mode', type: 'file', content: 'x', mode: 0 },
    ];
    const { entries } = await applyLayer(makeTar(specs), dest, { format: 'plain' });
    expect(entries).toBe(specs.length);
    const su = await lstat(path.join(dest, 'bin/su'));
    expect(su.mode & 0o7777).toBe(0o4755);
    expect(su.mtimeMs).toBe(2_000_000);
    if (isRoot) expect([su.uid, su.gid]).toEqual([12, 34]);
    expect((await lstat(path.join(dest, 'bin/sg'))).mode & 0o7777).toBe(0o2711);
    expect((await lstat(path.join(dest, 'bin/link'))).ino).toBe(su.ino);
    const sym = await lstat(path.join(dest, 'bin/sym'));
    expect(sym.isSymbolicLink()).toBe(true);
    expect(sym.mtimeMs).toBe(3_000_000);
    const tmp = await lstat(path.join(dest, 'tmp'));
    expect(tmp.mode & 0o7777).toBe(0o1777);
    expect(tmp.mtimeMs).toBe(1_500_000);
    expect((await lstat(path.join(dest, 'bin'))).mtimeMs).toBe(1_000_000);
    expect((await lstat(path.join(dest, 'tmp/fifo'))).isFIFO()).toBe(true);
    expect((await lstat(path.join(dest, 'zero-mode'))).mode & 0o7777).toBe(0);
    if (isRoot) {
      const dev = await lstat(path.join(dest, 'dev/null'));
      expect(dev.isCharacterDevice()).toBe(true);
      expect(dev.rdev).toBe((1 << 8) | 3);
    }
  });

  it('whiteouts delete, opaque markers hide only lower entries', async () => {
    await applyLayer(
      makeTar([
        { name: 'keep', type: 'file', content: 'k' },
        { name: 'gone', type: 'file', content: 'g' },
        { name: 'dir/', type: 'dir' },
        { name: 'dir/sub/deep', type: 'file', content: 'd' },
        { name: 'opq/', type: 'dir' },
        { name: 'opq/lower1', type: 'file', content: '1' },
        { name: 'opq/lowerdir/x', type: 'file', content: '2' },
        { name: 'opq/same', type: 'file', content: 'old' },
      ]),
      dest,
      { format: 'plain' },
    );
    await applyLayer(
      makeTar([
        { name: '.wh.gone', type: 'file' },
        { name: '.wh.dir', type: 'file' },
        { name: '.wh.never-existed', type: 'file' },
        { name: 'opq/', type: 'dir' },
        // Sorted before the marker: must survive it.
        { name: 'opq/+early', type: 'file', content: 'e' },
        { name: 'opq/.wh..wh..opq', type: 'file' },
        { name: 'opq/same', type: 'file', content: 'new' },
      ]),
      dest,
      { format: 'plain' },
    );
    expect((await readdir(dest)).sort()).toEqual(['keep', 'opq']);
    expect((await readdir(path.join(dest, 'opq'))).sort()).toEqual(['+early', 'same']);
    expect(await readFile(path.join(dest, 'opq/same'), 'utf8')).toBe('new');
  });

  it('follows relative in-tree symlinked parents (bin -> usr/bin)', async () => {
    await mkdir(path.join(dest, 'usr/bin'), { recursive: true });
    await symlink('usr/bin', path.join(dest, 'bin'));
    await applyLayer(makeTar([{ name: 'bin/tool', type: 'file', content: 't' }]), dest, { format: 'plain' });
    expect(await readFile(path.join(dest, 'usr/bin/tool'), 'utf8')).toBe('t');
    expect((await lstat(path.join(dest, 'bin'))).isSymbolicLink()).toBe(true);
  });

  it('a directory replaces a file and a file replaces a directory', async () => {
    await mkdir(path.join(dest, 'was-dir/child'), { recursive: true });
    await writeFile(path.join(dest, 'was-file'), 'x');
    await applyLayer(
      makeTar([
        { name: 'was-dir', type: 'file', content: 'now a file' },
        { name: 'was-file/', type: 'dir' },
        { name: 'was-file/in', type: 'file', content: 'in' },
      ]),
      dest,
      { format: 'plain' },
    );
    expect(await readFile(path.join(dest, 'was-dir'), 'utf8')).toBe('now a file');
    expect(await readFile(path.join(dest, 'was-file/in'), 'utf8')).toBe('in');
  });

  it('rejects a truncated archive with TSB3102', async () => {
    const full = await import('./test-util.js').then((m) => m.buffer(makeTar([{ name: 'f', type: 'file', content: 'x'.repeat(2000) }])));
    const { Readable } = await import('node:stream');
    await expect(applyLayer(Readable.from([full.subarray(0, 1000)]), dest, { format: 'plain' })).rejects.toMatchObject({
      code: 'TSB3102',
    });
  });
});

describe.skipIf(!have('root'))('applyLayer: overlay format', () => {
  it('whiteouts become 0/0 char devices and opaque dirs get the xattr', async () => {
    await applyLayer(
      makeTar([
        { name: 'a/', type: 'dir' },
        { name: 'a/.wh.removed', type: 'file' },
        { name: 'o/', type: 'dir', mode: 0o750 },
        { name: 'o/.wh..wh..opq', type: 'file' },
        { name: 'o/new', type: 'file', content: 'n' },
      ]),
      dest,
      { format: 'overlay' },
    );
    const wh = await lstat(path.join(dest, 'a/removed'));
    expect(wh.isCharacterDevice()).toBe(true);
    expect(wh.rdev).toBe(0);
    const attrs = execFileSync('getfattr', ['-h', '-n', 'trusted.overlay.opaque', '--only-values', path.join(dest, 'o')]).toString();
    expect(attrs).toBe('y');
    expect(await readFile(path.join(dest, 'o/new'), 'utf8')).toBe('n');
    expect((await stat(path.join(dest, 'o'))).mode & 0o777).toBe(0o750);
  });
});
