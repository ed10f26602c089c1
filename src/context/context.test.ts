// Source selection: globs, directories, symlinks, escapes, exclusions; rootfs (chroot) sources.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openContext, openRootfsSource, type BuildContext } from './index.js';
import { isTsbuildError } from '../core/index.js';

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-ctx-'));
  const files = ['a.txt', 'b.txt', 'c.md', 'sub/x/one.go', 'sub/y/one.go', 'sub/y/two.go', 'sub/z.go', 'we ird\nname ☺.txt', 'secret/key'];
  for (const f of files) {
    await fsp.mkdir(path.dirname(path.join(dir, f)), { recursive: true });
    await fsp.writeFile(path.join(dir, f), f);
  }
  await fsp.symlink('sub/x', path.join(dir, 'link-in'));
  await fsp.symlink('/etc', path.join(dir, 'link-etc'));
  await fsp.symlink('../../outside', path.join(dir, 'sub/link-up'));
  await fsp.symlink('a.txt', path.join(dir, 'alias.txt'));
  await fsp.writeFile(path.join(dir, '.dockerignore'), 'secret\n*.md\n');
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  return isTsbuildError(e) ? e.code : e === undefined ? undefined : String(e);
}

describe('openContext().select', () => {
  let ctx: BuildContext;
  beforeEach(async () => {
    ctx = await openContext(dir);
  });

  it('selects files, directories and the root', async () => {
    const es = await ctx.select(['a.txt', 'sub', '.', '/b.txt', './sub/../a.txt']);
    expect(es.map((e) => [e.path, e.type])).toEqual([
      ['a.txt', 'file'],
      ['sub', 'dir'],
      ['.', 'dir'],
      ['b.txt', 'file'],
      ['a.txt', 'file'],
    ]);
    expect(es[0]?.abs).toBe(path.join(dir, 'a.txt'));
    expect(es[0]?.size).toBe(5);
  });

  it('expands globs per component in byte order', async () => {
    expect((await ctx.select(['*.txt'])).map((e) => e.matched)).toEqual(['a.txt', 'alias.txt', 'b.txt', 'we ird\nname ☺.txt']);
    expect((await ctx.select(['sub/*/one.go'])).map((e) => e.path)).toEqual(['sub/x/one.go', 'sub/y/one.go']);
    expect((await ctx.select(['sub/?/t[vw]o.go'])).map((e) => e.path)).toEqual(['sub/y/two.go']);
  });

  it('follows the named symlink inside the context and keeps the matched name', async () => {
    const [alias] = await ctx.select(['alias.txt']);
    expect(alias?.matched).toBe('alias.txt');
    expect(alias?.path).toBe('a.txt');
    expect(alias?.type).toBe('file');
    const [viaLink] = await ctx.select(['link-in/one.go']);
    expect(viaLink?.path).toBe('sub/x/one.go');
  });

  it('rejects escapes with TSB2102', async () => {
    expect(await codeOf(ctx.select(['../x']))).toBe('TSB2102');
    expect(await codeOf(ctx.select(['a/../../x']))).toBe('TSB2102');
    expect(await codeOf(ctx.select(['link-etc/passwd']))).toBe('TSB2102');
    expect(await codeOf(ctx.select(['link-etc']))).toBe('TSB2102');
    expect(await codeOf(ctx.select(['sub/link-up']))).toBe('TSB2102');
    expect(await codeOf(ctx.select(['link-*']))).toBe('TSB2102');
  });

  it('reports missing and excluded sources as TSB2101', async () => {
    expect(await codeOf(ctx.select(['nope']))).toBe('TSB2101');
    expect(await codeOf(ctx.select(['*.nope']))).toBe('TSB2101');
    expect(await codeOf(ctx.select(['secret/key']))).toBe('TSB2101');
    expect(await codeOf(ctx.select(['c.md']))).toBe('TSB2101');
    expect(await codeOf(ctx.select(['*.md']))).toBe('TSB2101');
  });

  it('names the source in errors', async () => {
    const e = await ctx.select(['missing-file.txt']).catch((err: unknown) => err);
    expect(String((e as Error).message)).toContain('missing-file.txt');
  });

  it('walk leaves out excluded entries', async () => {
    const seen: string[] = [];
    for await (const e of ctx.walk('.')) seen.push(e.path);
    expect(seen).not.toContain('secret');
    expect(seen).not.toContain('secret/key');
    expect(seen).not.toContain('c.md');
    expect(seen).toContain('sub/y/two.go');
    expect(seen).toContain('link-etc'); // symlinks are entries, never followed by a walk
  });
});

describe('openRootfsSource', () => {
  let root: string;
  beforeEach(async () => {
    root = path.join(dir, 'rootfs');
    await fsp.mkdir(path.join(root, 'usr/bin'), { recursive: true });
    await fsp.writeFile(path.join(root, 'usr/bin/tool'), 'tool');
    await fsp.symlink('usr/bin', path.join(root, 'bin'));
    await fsp.mkdir(path.join(root, 'etc'));
    await fsp.symlink('/usr/bin/tool', path.join(root, 'etc/abs-link'));
    await fsp.symlink('../../../../usr/bin/tool', path.join(root, 'etc/up-link'));
  });

  it('resolves absolute paths and symlinks as in a chroot', async () => {
    const src = openRootfsSource(root);
    expect(src.kind).toBe('rootfs');
    const es = await src.select(['/bin/tool', '/etc/abs-link', 'etc/up-link', '/../../usr/bin/tool']);
    expect(es.map((e) => e.path)).toEqual(['usr/bin/tool', 'usr/bin/tool', 'usr/bin/tool', 'usr/bin/tool']);
    expect(es.map((e) => e.matched)).toEqual(['bin/tool', 'etc/abs-link', 'etc/up-link', 'usr/bin/tool']);
    expect(es.every((e) => e.abs === path.join(root, 'usr/bin/tool'))).toBe(true);
  });

  it('globs through a symlinked directory prefix', async () => {
    const es = await openRootfsSource(root).select(['/bin/t*']);
    expect(es.map((e) => e.path)).toEqual(['usr/bin/tool']);
  });

  it('ignores .dockerignore files inside a rootfs', async () => {
    await fsp.writeFile(path.join(root, '.dockerignore'), '*');
    const src = openRootfsSource(root);
    expect(src.isExcluded('usr/bin/tool')).toBe(false);
    expect((await src.select(['usr/bin/tool'])).length).toBe(1);
  });
});

describe('openContext errors', () => {
  it('reports a missing context directory as TSB2108', async () => {
    expect(await codeOf(openContext(path.join(dir, 'nope')))).toBe('TSB2108');
  });
});
