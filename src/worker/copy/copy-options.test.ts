// COPY options: owners (context vs --from vs --chown), --chmod, --exclude, --parents.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { openRootfsSource } from '../../context/index.js';
import { have } from '../../../test/helpers/env.js';
import { fixture, listTree, codeOf, type Fixture } from './test-util.js';

let f: Fixture;
beforeEach(async () => {
  f = await fixture();
});
afterEach(async () => {
  await f.cleanup();
});

const perm = async (p: string): Promise<number> => (await fsp.lstat(p)).mode & 0o7777;

describe.skipIf(!have('root'))('ownership', () => {
  it('gives context files 0:0, keeps --from owners, and applies --chown everywhere', async () => {
    await f.write('d/file');
    await fsp.lchown(path.join(f.ctxDir, 'd/file'), 1234, 5678);
    await fsp.symlink('file', path.join(f.ctxDir, 'd/link'));
    await fsp.lchown(path.join(f.ctxDir, 'd/link'), 1234, 5678);
    await fsp.chown(path.join(f.ctxDir, 'd'), 1234, 5678);

    await f.copy({ sources: ['d'], dest: '/ctx' });
    for (const p of ['ctx/file', 'ctx/link']) expect([(await fsp.lstat(f.inRoot(p))).uid, (await fsp.lstat(f.inRoot(p))).gid]).toEqual([0, 0]);

    await f.copy({ sources: ['/d'], dest: '/from/', source: openRootfsSource(f.ctxDir) });
    for (const p of ['from/file', 'from/link']) expect([(await fsp.lstat(f.inRoot(p))).uid, (await fsp.lstat(f.inRoot(p))).gid]).toEqual([1234, 5678]);

    await f.copy({ sources: ['d'], dest: '/own/new/', chown: { uid: 42, gid: 43 } });
    for (const p of ['own', 'own/new', 'own/new/file', 'own/new/link']) {
      const st = await fsp.lstat(f.inRoot(p));
      expect([p, st.uid, st.gid]).toEqual([p, 42, 43]);
    }
  });

  it('keeps owner and mode of an existing destination directory', async () => {
    await f.write('d/file');
    await fsp.mkdir(f.inRoot('app'));
    await fsp.chown(f.inRoot('app'), 7, 8);
    await fsp.chmod(f.inRoot('app'), 0o750);
    await f.copy({ sources: ['d'], dest: '/app', chown: { uid: 1, gid: 1 } });
    const st = await fsp.stat(f.inRoot('app'));
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([7, 8, 0o750]);
    expect((await fsp.stat(f.inRoot('app/file'))).uid).toBe(1);
  });

  it('keeps set-id bits after changing the owner', async () => {
    await f.write('suid', 'x', 0o4755);
    await f.copy({ sources: ['suid'], dest: '/suid', chown: { uid: 1000, gid: 1000 } });
    expect(await perm(f.inRoot('suid'))).toBe(0o4755);
  });
});

describe('--chmod', () => {
  beforeEach(async () => {
    await f.write('t/file', 'x', 0o644);
    await f.write('t/exe', 'x', 0o755);
    await fsp.mkdir(path.join(f.ctxDir, 't/sub'));
    await fsp.chmod(path.join(f.ctxDir, 't/sub'), 0o750);
  });

  it('applies an octal mode to files and directories', async () => {
    await f.copy({ sources: ['t'], dest: '/o', chmod: '640' });
    expect(await perm(f.inRoot('o/file'))).toBe(0o640);
    expect(await perm(f.inRoot('o/exe'))).toBe(0o640);
    expect(await perm(f.inRoot('o/sub'))).toBe(0o640);
  });

  it('applies symbolic modes, with X only for directories and executables', async () => {
    await f.copy({ sources: ['t'], dest: '/s', chmod: 'u+x,g-w,o=' });
    expect(await perm(f.inRoot('s/file'))).toBe(0o740);
    expect(await perm(f.inRoot('s/exe'))).toBe(0o750);
    await f.copy({ sources: ['t'], dest: '/x', chmod: 'a+X' });
    expect(await perm(f.inRoot('x/file'))).toBe(0o644);
    expect(await perm(f.inRoot('x/exe'))).toBe(0o755);
    expect(await perm(f.inRoot('x/sub'))).toBe(0o751);
  });

  it('rejects malformed values with TSB2105 before writing', async () => {
    for (const bad of ['888', '77777', 'u+z', 'q=r', '']) {
      expect(await codeOf(f.copy({ sources: ['t'], dest: '/bad', chmod: bad }))).toBe('TSB2105');
    }
    expect(await listTree(f.root)).toEqual([]);
  });
});

describe('--exclude', () => {
  beforeEach(async () => {
    for (const p of ['dir/a.txt', 'dir/b.md', 'dir/sub/c.txt', 'dir/sub/d.go', 'dir/keep/e.txt', 'home1.txt', 'home2.md']) await f.write(p);
  });

  it('filters a directory source relative to it', async () => {
    await f.copy({ sources: ['dir'], dest: '/x', exclude: ['*.txt', 'sub'] });
    // `*` stays within one path component, so keep/e.txt survives
    expect(await listTree(f.inRoot('x'))).toEqual(['b.md', 'keep/', 'keep/e.txt']);
  });

  it('supports ** and exceptions that re-include below excluded dirs', async () => {
    await f.copy({ sources: ['dir'], dest: '/y', exclude: ['**/*.txt', '!keep/e.txt'] });
    expect(await listTree(f.inRoot('y'))).toEqual(['b.md', 'keep/', 'keep/e.txt', 'sub/', 'sub/d.go']);
    await f.copy({ sources: ['dir'], dest: '/z', exclude: ['sub', '!sub/d.go'] });
    expect(await listTree(f.inRoot('z/sub'))).toEqual(['d.go']);
  });

  it('filters the files a wildcard source matched', async () => {
    await f.copy({ sources: ['home*'], dest: '/h/', exclude: ['*.md'] });
    expect(await listTree(f.inRoot('h'))).toEqual(['home1.txt']);
  });

  it('reports a malformed pattern as TSB2104', async () => {
    expect(await codeOf(f.copy({ sources: ['dir'], dest: '/w', exclude: ['[x'] }))).toBe('TSB2104');
  });
});

describe('--parents', () => {
  beforeEach(async () => {
    for (const p of ['a/b/c.txt', 'a/b/d.txt', 'a/e.txt', 'x/1.txt', 'x/2.md', 'y/1.txt']) await f.write(p);
    await fsp.chmod(path.join(f.ctxDir, 'a/b'), 0o711);
  });

  it('keeps the source path below the destination', async () => {
    await f.copy({ sources: ['a/b/c.txt', '*/1.txt'], dest: '/dst/', parents: true });
    expect(await listTree(f.inRoot('dst'))).toEqual(['a/', 'a/b/', 'a/b/c.txt', 'x/', 'x/1.txt', 'y/', 'y/1.txt']);
    expect(await perm(f.inRoot('dst/a/b'))).toBe(0o711);
  });

  it('starts the kept path at a /./ pivot', async () => {
    await f.copy({ sources: ['./a/./b/c.txt', 'a/./e.txt'], dest: '/p/', parents: true });
    expect(await listTree(f.inRoot('p'))).toEqual(['b/', 'b/c.txt', 'e.txt']);
  });

  it('copies whole directories and honours --exclude', async () => {
    await f.copy({ sources: ['a/b'], dest: '/q/', parents: true, exclude: ['**/d.txt'] });
    expect(await listTree(f.inRoot('q'))).toEqual(['a/', 'a/b/', 'a/b/c.txt']);
  });

  it('fails for missing or escaping sources', async () => {
    expect(await codeOf(f.copy({ sources: ['a/nope.txt'], dest: '/r/', parents: true }))).toBe('TSB2101');
    expect(await codeOf(f.copy({ sources: ['*/nope*'], dest: '/r/', parents: true }))).toBe('TSB2101');
    expect(await codeOf(f.copy({ sources: ['../a'], dest: '/r/', parents: true }))).toBe('TSB2102');
  });
});
