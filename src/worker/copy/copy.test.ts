// COPY rules: destinations, directories, symlinks, hardlinks, modes, mtimes, escapes, ignores.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { have } from '../../../test/helpers/env.js';
import { fixture, listTree, codeOf, type Fixture } from './test-util.js';

let f: Fixture;
beforeEach(async () => {
  f = await fixture();
});
afterEach(async () => {
  await f.cleanup();
});

describe('destinations', () => {
  it('requires a directory destination for several sources', async () => {
    await f.write('a');
    await f.write('b');
    expect(await codeOf(f.copy({ sources: ['a', 'b'], dest: '/x' }))).toBe('TSB2107');
    expect(await listTree(f.root)).toEqual([]);
    await f.copy({ sources: ['a', 'b'], dest: '/x/' });
    expect(await listTree(f.root)).toEqual(['x/', 'x/a', 'x/b']);
  });

  it('puts a file inside a slash destination, renames it otherwise, and enters existing dirs', async () => {
    await f.write('a.txt', 'A');
    await f.copy({ sources: ['a.txt'], dest: '/d1/' });
    await f.copy({ sources: ['a.txt'], dest: '/d2/renamed' });
    await fsp.mkdir(f.inRoot('existing'));
    await f.copy({ sources: ['a.txt'], dest: '/existing' });
    expect(await listTree(f.root)).toEqual(['d1/', 'd1/a.txt', 'd2/', 'd2/renamed', 'existing/', 'existing/a.txt']);
    expect(await fsp.readFile(f.inRoot('d2/renamed'), 'utf8')).toBe('A');
  });

  it('resolves relative destinations against WORKDIR', async () => {
    await f.write('a');
    await f.copy({ sources: ['a'], dest: 'sub/', workdir: '/work' });
    await f.copy({ sources: ['a'], dest: '.', workdir: '/w2' });
    expect(await listTree(f.root)).toEqual(['w2/', 'w2/a', 'work/', 'work/sub/', 'work/sub/a']);
  });

  it('creates missing destination directories 0755 and keeps existing ones', async () => {
    await f.write('a');
    await fsp.mkdir(f.inRoot('keep'), { mode: 0o700 });
    await fsp.chmod(f.inRoot('keep'), 0o700);
    const old = process.umask(0o077);
    try {
      await f.copy({ sources: ['a'], dest: '/keep/new/deeper/' });
    } finally {
      process.umask(old);
    }
    expect((await fsp.stat(f.inRoot('keep'))).mode & 0o7777).toBe(0o700);
    expect((await fsp.stat(f.inRoot('keep/new'))).mode & 0o7777).toBe(0o755);
    expect((await fsp.stat(f.inRoot('keep/new/deeper'))).mode & 0o7777).toBe(0o755);
  });

  it('follows image symlinks in the destination inside the root only', async () => {
    await f.write('a');
    await fsp.mkdir(f.inRoot('srv'));
    await fsp.symlink('/srv', f.inRoot('app'));
    await fsp.symlink('/../../../../escape', f.inRoot('evil'));
    await f.copy({ sources: ['a'], dest: '/app/' });
    await f.copy({ sources: ['a'], dest: '/evil/' });
    expect(await listTree(f.root)).toEqual(['app', 'escape/', 'escape/a', 'evil', 'srv/', 'srv/a']);
  });

  it('replaces an existing file but refuses to replace a directory with a file', async () => {
    await f.write('a', 'new');
    await fsp.writeFile(f.inRoot('a'), 'old');
    await f.copy({ sources: ['a'], dest: '/' });
    expect(await fsp.readFile(f.inRoot('a'), 'utf8')).toBe('new');
    await fsp.mkdir(f.inRoot('d/a'), { recursive: true });
    await f.write('dir/a/x');
    await f.write('b');
    expect(await codeOf(f.copy({ sources: ['b'], dest: '/d/a/x/' }))).toBeUndefined();
    await fsp.mkdir(f.inRoot('d/b'));
    await fsp.writeFile(f.inRoot('d/b/b'), 'x');
    await fsp.mkdir(f.inRoot('e/b'), { recursive: true });
    expect(await codeOf(f.copy({ sources: ['b'], dest: '/e/' }))).toBe('TSB2107');
  });
});

describe('directory sources', () => {
  it('copies contents (not the directory), empty dirs and odd names', async () => {
    await f.write('dir/a');
    await f.write('dir/sub/b');
    await fsp.mkdir(path.join(f.ctxDir, 'dir/empty'));
    await f.write('dir/we ird\nname ☺');
    await f.copy({ sources: ['dir'], dest: '/app' });
    expect(await listTree(f.root)).toEqual(['app/', 'app/a', 'app/empty/', 'app/sub/', 'app/sub/b', 'app/we ird\nname ☺']);
  });

  it('copies symlinks as symlinks but follows a symlink named as the source', async () => {
    await f.write('real/file', 'content');
    await fsp.symlink('file', path.join(f.ctxDir, 'real/rel-link'));
    await fsp.symlink('/nowhere/abs', path.join(f.ctxDir, 'real/abs-link'));
    await fsp.symlink('real/file', path.join(f.ctxDir, 'named'));
    await fsp.symlink('real', path.join(f.ctxDir, 'dirlink'));
    await f.copy({ sources: ['real'], dest: '/r/' });
    await f.copy({ sources: ['named'], dest: '/n/' });
    await f.copy({ sources: ['dirlink'], dest: '/dl/' });
    expect(await fsp.readlink(f.inRoot('r/rel-link'))).toBe('file');
    expect(await fsp.readlink(f.inRoot('r/abs-link'))).toBe('/nowhere/abs');
    const named = await fsp.lstat(f.inRoot('n/named'));
    expect(named.isFile()).toBe(true);
    expect(await fsp.readFile(f.inRoot('n/named'), 'utf8')).toBe('content');
    expect(await listTree(f.inRoot('dl'))).toEqual(['abs-link', 'file', 'rel-link']);
  });

  it('preserves hardlinks between copied files', async () => {
    await f.write('h/one', 'same');
    await fsp.link(path.join(f.ctxDir, 'h/one'), path.join(f.ctxDir, 'h/two'));
    await f.write('h/other', 'same');
    const r = await f.copy({ sources: ['h'], dest: '/h' });
    const [one, two, other] = await Promise.all(['h/one', 'h/two', 'h/other'].map((p) => fsp.stat(f.inRoot(p))));
    expect(one?.ino).toBe(two?.ino);
    expect(one?.nlink).toBe(2);
    expect(other?.ino).not.toBe(one?.ino);
    expect(r.files).toBe(3);
  });

  it('preserves special mode bits and modification times', async () => {
    await f.write('m/suid', 'x', 0o4755);
    await f.write('m/sgid', 'x', 0o2711);
    await fsp.mkdir(path.join(f.ctxDir, 'm/sticky'));
    await fsp.chmod(path.join(f.ctxDir, 'm/sticky'), 0o1777);
    const when = new Date('2001-02-03T04:05:06.789Z');
    await fsp.utimes(path.join(f.ctxDir, 'm/suid'), when, when);
    await fsp.utimes(path.join(f.ctxDir, 'm/sticky'), when, when);
    await fsp.utimes(path.join(f.ctxDir, 'm'), when, when);
    await f.copy({ sources: ['m'], dest: '/m' });
    expect((await fsp.stat(f.inRoot('m/suid'))).mode & 0o7777).toBe(0o4755);
    expect((await fsp.stat(f.inRoot('m/sgid'))).mode & 0o7777).toBe(0o2711);
    expect((await fsp.stat(f.inRoot('m/sticky'))).mode & 0o7777).toBe(0o1777);
    expect((await fsp.stat(f.inRoot('m/suid'))).mtime.getTime()).toBe(when.getTime());
    expect((await fsp.stat(f.inRoot('m/sticky'))).mtime.getTime()).toBe(when.getTime());
    expect((await fsp.stat(f.inRoot('m'))).mtime.getTime()).toBe(when.getTime());
  });

  it('leaves out .dockerignore-excluded entries but keeps re-included ones', async () => {
    await f.write('.dockerignore', 'app/logs\n!app/logs/keep.log\n**/*.tmp\n');
    await f.write('app/logs/a.log');
    await f.write('app/logs/keep.log');
    await f.write('app/x.tmp');
    await f.write('app/main');
    await f.copy({ sources: ['app'], dest: '/a' });
    expect(await listTree(f.inRoot('a'))).toEqual(['logs/', 'logs/keep.log', 'main']);
  });

  it('copies a big file intact', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024 + 123, 7);
    big.write('end', big.length - 3);
    await fsp.writeFile(path.join(f.ctxDir, 'big.bin'), big);
    const r = await f.copy({ sources: ['big.bin'], dest: '/big.bin' });
    expect(r.bytes).toBe(big.length);
    expect((await fsp.readFile(f.inRoot('big.bin'))).equals(big)).toBe(true);
  });
});

describe('special files', () => {
  it('recreates FIFOs', async () => {
    await f.write('sp/regular');
    execFileSync('mkfifo', [path.join(f.ctxDir, 'sp/pipe')]);
    await f.copy({ sources: ['sp'], dest: '/sp' });
    expect((await fsp.lstat(f.inRoot('sp/pipe'))).isFIFO()).toBe(true);
  });

  it.skipIf(!have('root'))('recreates device nodes', async () => {
    await fsp.mkdir(path.join(f.ctxDir, 'dev'));
    execFileSync('mknod', [path.join(f.ctxDir, 'dev/null'), 'c', '1', '3']);
    await f.copy({ sources: ['dev'], dest: '/dev' });
    const st = await fsp.lstat(f.inRoot('dev/null'));
    expect(st.isCharacterDevice()).toBe(true);
    expect(st.rdev).toBe((await fsp.lstat(path.join(f.ctxDir, 'dev/null'))).rdev);
  });
});

describe('cancellation', () => {
  it('stops when the signal is aborted', async () => {
    await f.write('a');
    const ac = new AbortController();
    ac.abort();
    const err = await f.copy({ sources: ['a'], dest: '/x/', signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(await listTree(f.root)).toEqual([]);
  });
});

describe('source errors write nothing', () => {
  beforeEach(async () => {
    await f.write('ok');
    await fsp.symlink('/etc', path.join(f.ctxDir, 'etc-link'));
    await fsp.symlink('../..', path.join(f.ctxDir, 'up'));
  });
  it.each([
    [['../x'], 'TSB2102'],
    [['a/../../x'], 'TSB2102'],
    [['etc-link/passwd'], 'TSB2102'],
    [['etc-link'], 'TSB2102'],
    [['up/etc'], 'TSB2102'],
    [['ok', 'missing'], 'TSB2101'],
    [['*.nomatch'], 'TSB2101'],
  ])('%j → %s', async (sources, code) => {
    expect(await codeOf(f.copy({ sources, dest: '/dst/' }))).toBe(code);
    expect(await listTree(f.root)).toEqual([]);
  });
});

describe('glob sources', () => {
  it('copies each match (files inside, directory contents merged)', async () => {
    await f.write('src/a.go');
    await f.write('src/b.go');
    await f.write('src/c.txt');
    await f.write('pkg1/x');
    await f.write('pkg2/y');
    await f.copy({ sources: ['src/*.go', 'pkg*'], dest: '/out/' });
    expect(await listTree(f.inRoot('out'))).toEqual(['a.go', 'b.go', 'x', 'y']);
  });
});

describe('inline heredoc files', () => {
  it('creates files with mode 0644 owned by root', async () => {
    await f.copy({ sources: [], inline: [{ name: 'script.sh', content: 'echo hi\n' }], dest: '/bin/' });
    const st = await fsp.stat(f.inRoot('bin/script.sh'));
    expect(st.mode & 0o7777).toBe(0o644);
    expect(await fsp.readFile(f.inRoot('bin/script.sh'), 'utf8')).toBe('echo hi\n');
  });
});
