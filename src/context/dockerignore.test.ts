// .dockerignore semantics: table of ignore files and paths, errors, walk re-inclusion, precedence.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openContext, parseIgnoreText } from './index.js';
import { isTsbuildError } from '../core/index.js';

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-ignore-'));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

async function ctxWith(ignore: string) {
  await fsp.writeFile(path.join(dir, '.dockerignore'), ignore);
  return openContext(dir);
}

// [ignore file text, path, excluded?]
const table: Array<[string, string, boolean]> = [
  ['*.md', 'README.md', true],
  ['*.md', 'docs/a.md', false],
  ['**/*.md', 'docs/a.md', true],
  ['**/*.md', 'README.md', true],
  ['**/*.md', 'docs/deep/er/x.md', true],
  ['docs', 'docs', true],
  ['docs', 'docs/a.md', true],
  ['docs', 'docsx', false],
  ['docs/', 'docs/a.md', true],
  ['/docs', 'docs/a.md', true],
  ['./docs', 'docs/a.md', true],
  ['docs/../lib', 'lib/x', true],
  ['docs\n!docs/keep.md', 'docs/keep.md', false],
  ['docs\n!docs/keep.md', 'docs/other.md', true],
  ['!docs/keep.md\ndocs', 'docs/keep.md', true],
  ['*\n!src', 'src/a.ts', false],
  ['*\n!src', 'lib/a.ts', true],
  ['# comment\n\n   \nfoo', 'foo', true],
  ['# comment\nfoo', '# comment', false],
  ['  # not a comment', '# not a comment', true],
  ['foo/**', 'foo/x', true],
  ['foo/**', 'foo', false],
  ['**', 'anything/at/all', true],
  ['a/**/b', 'a/b', true],
  ['a/**/b', 'a/x/y/b', true],
  ['a/**/b', 'a/x/b/c', true],
  ['a/**/b', 'a/x/c', false],
  ['**/node_modules\n!**/node_modules/keep', 'web/node_modules/keep/x.js', false],
  ['**/node_modules\n!**/node_modules/keep', 'web/node_modules/lib/x.js', true],
  ['file?.txt', 'file1.txt', true],
  ['file?.txt', 'file10.txt', false],
  ['[a-c]*.log', 'b.log', true],
  ['[a-c]*.log', 'd.log', false],
  ['lib/*.o', 'lib/x.o', true],
  ['lib/*.o', 'lib/sub/x.o', false],
  ['*.txt\r\n!keep.txt\r\n', 'keep.txt', false],
  ['*.txt\r\n!keep.txt\r\n', 'other.txt', true],
  ['\uFEFFsecret', 'secret', true],
  ['a.b', 'axb', false], // '.' is literal
  ['x+y', 'x+y', true],
];

describe('.dockerignore matching', () => {
  it.each(table)('%j excludes %j → %s', async (ignore, p, expected) => {
    const ctx = await ctxWith(ignore);
    expect(ctx.isExcluded(p)).toBe(expected);
  });

  it('never excludes the context root', async () => {
    const ctx = await ctxWith('**\n*');
    expect(ctx.isExcluded('.')).toBe(false);
  });

  it('parses lines the way Docker does', () => {
    expect(parseIgnoreText('# c\n/abs\n!./x/../y\n  spaced  \n\n!  z').map((p) => p.pattern)).toEqual(['abs', '!y', 'spaced', '!z']);
    expect(parseIgnoreText('a\n#b\nc').map((p) => p.line)).toEqual([1, 3]);
  });

  it.each([
    ['ok\n[', 2],
    ['!', 1],
    ['a\nb\n  \nfoo[a-', 4],
  ])('rejects %j with TSB2103 at line %i', async (ignore, line) => {
    await fsp.writeFile(path.join(dir, '.dockerignore'), ignore);
    const err = await openContext(dir).catch((e: unknown) => e);
    expect(isTsbuildError(err) && err.code).toBe('TSB2103');
    expect(isTsbuildError(err) && err.location?.line).toBe(line);
    expect(isTsbuildError(err) && err.location?.file).toBe(path.join(dir, '.dockerignore'));
  });
});

describe('walk with exclusions', () => {
  async function tree(files: string[]) {
    for (const f of files) {
      await fsp.mkdir(path.dirname(path.join(dir, f)), { recursive: true });
      await fsp.writeFile(path.join(dir, f), f);
    }
  }
  async function list(ignore: string, rel = '.') {
    const ctx = await ctxWith(ignore);
    const out: string[] = [];
    for await (const e of ctx.walk(rel)) out.push(e.path);
    return out;
  }

  it('re-includes a file inside an excluded directory and yields its parents', async () => {
    await tree(['dir/sub/keep', 'dir/sub/drop', 'dir/other', 'top']);
    expect(await list('dir\n!dir/sub/keep')).toEqual(['.dockerignore', 'dir', 'dir/sub', 'dir/sub/keep', 'top']);
  });

  it('descends excluded directories when an exception has wildcards', async () => {
    await tree(['a/b/keep.txt', 'a/b/x.bin', 'c.bin']);
    expect(await list('*\n!**/*.txt')).toEqual(['a', 'a/b', 'a/b/keep.txt']);
  });

  it('skips excluded directories entirely otherwise and sorts by bytes', async () => {
    await tree(['node_modules/x/y.js', 'src/b.ts', 'src/a.ts', 'src/Z.ts', 'src.txt']);
    expect(await list('node_modules\n.dockerignore')).toEqual(['src', 'src/Z.ts', 'src/a.ts', 'src/b.ts', 'src.txt']);
  });

  it('walks below a sub directory with inherited exclusions', async () => {
    await tree(['src/a.ts', 'src/gen/x.ts', 'src/gen/keep.ts']);
    expect(await list('src/gen\n!src/gen/keep.ts', 'src')).toEqual(['src/a.ts', 'src/gen', 'src/gen/keep.ts']);
  });
});

describe('<Dockerfile>.dockerignore', () => {
  it('takes precedence over the context .dockerignore', async () => {
    await fsp.mkdir(path.join(dir, 'build'));
    await fsp.writeFile(path.join(dir, '.dockerignore'), 'a.txt');
    await fsp.writeFile(path.join(dir, 'build', 'app.Dockerfile'), 'FROM scratch');
    await fsp.writeFile(path.join(dir, 'build', 'app.Dockerfile.dockerignore'), 'b.txt');
    const ctx = await openContext(dir, { dockerfile: path.join(dir, 'build', 'app.Dockerfile') });
    expect(ctx.isExcluded('a.txt')).toBe(false);
    expect(ctx.isExcluded('b.txt')).toBe(true);
    const plain = await openContext(dir, { dockerfile: path.join(dir, 'Dockerfile') });
    expect(plain.isExcluded('a.txt')).toBe(true);
    expect(plain.isExcluded('b.txt')).toBe(false);
  });
});
