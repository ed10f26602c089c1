import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openContext } from './context.js';
import { digestSelection, filesDigest, hashSelection } from './hash.js';
import { StatCache } from './statcache.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tsbuild-hash-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

describe('StatCache', () => {
  it('round-trips entries, appends changes and skips torn lines', async () => {
    const file = path.join(dir, 'sc.json');
    const c = await StatCache.open(file);
    c.record('x/one', '1:2:3:4:5', HASH_A);
    c.record('we"ird\nname', '1:3:3:4:5', HASH_B);
    await c.save();
    const again = await StatCache.open(file);
    expect(again.lookup('x/one', '1:2:3:4:5')).toBe(HASH_A);
    expect(again.lookup('x/one', '1:2:3:4:6')).toBeUndefined();
    expect(again.lookup('we"ird\nname', '1:3:3:4:5')).toBe(HASH_B);
    const before = readFileSync(file, 'utf8');
    again.record('x/one', '9:2:3:4:5', HASH_B);
    await again.save();
    const after = readFileSync(file, 'utf8');
    // An append, not a rewrite.
    expect(after.startsWith(before)).toBe(true);
    appendFileSync(file, `${HASH_A} 1:2:3`);
    const third = await StatCache.open(file);
    expect(third.lookup('x/one', '9:2:3:4:5')).toBe(HASH_B);
    expect(third.lookup('x/one', '1:2:3:4:5')).toBeUndefined();
    third.record('y', '1:1:1:1:1', HASH_A);
    await third.save();
    const fourth = await StatCache.open(file);
    expect(fourth.lookup('y', '1:1:1:1:1')).toBe(HASH_A);
    expect(fourth.lookup('x/one', '9:2:3:4:5')).toBe(HASH_B);
  });

  it('writes nothing when nothing changed, and compacts a log of mostly superseded lines', async () => {
    const file = path.join(dir, 'sc.json');
    const c = await StatCache.open(file);
    c.record('p', '1:1:1:1:1', HASH_A);
    await c.save();
    const size0 = readFileSync(file).length;
    c.record('p', '1:1:1:1:1', HASH_A);
    await c.save();
    expect(readFileSync(file).length).toBe(size0);
    for (let i = 0; i < 1500; i++) {
      c.record('p', `1:1:1:1:${i + 2}`, HASH_A);
      await c.save();
    }
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
    expect(lines.length).toBeLessThan(1100);
    expect((await StatCache.open(file)).lookup('p', '1:1:1:1:1501')).toBe(HASH_A);
  });

  it('reads the JSON object the first format wrote', async () => {
    const file = path.join(dir, 'old.json');
    writeFileSync(file, JSON.stringify({ 'a/b': { stat: '1:2:3:4:5', hash: HASH_A } }));
    const c = await StatCache.open(file);
    expect(c.lookup('a/b', '1:2:3:4:5')).toBe(HASH_A);
  });
});

describe('hashSelection', () => {
  it('reuses cached hashes, notices content changes and lists paths in sorted order', async () => {
    const ctxDir = path.join(dir, 'ctx');
    mkdirSync(path.join(ctxDir, 'a'), { recursive: true });
    writeFileSync(path.join(ctxDir, 'a', 'x'), 'one');
    writeFileSync(path.join(ctxDir, 'a.txt'), 'two');
    writeFileSync(path.join(ctxDir, 'big'), Buffer.alloc(3 << 20, 7));
    const ctx = await openContext(ctxDir);
    const file = path.join(dir, 'sc');
    const cache = await StatCache.open(file);
    const first = await hashSelection(ctx, ['.'], { cache });
    expect(Object.keys(first)).toEqual(['.', 'a', 'a.txt', 'a/x', 'big']);
    await cache.save();
    const again = await hashSelection(ctx, ['.'], { cache: await StatCache.open(file) });
    expect(again).toEqual(first);
    writeFileSync(path.join(ctxDir, 'a', 'x'), 'ONE');
    utimesSync(path.join(ctxDir, 'a', 'x'), 1, 1);
    const changed = await hashSelection(ctx, ['.'], { cache: await StatCache.open(file) });
    expect(changed['a/x']).not.toBe(first['a/x']);
    expect({ ...changed, 'a/x': first['a/x'] }).toEqual(first);
  });
});

describe('digestSelection', () => {
  function context(): string {
    const ctxDir = path.join(dir, 'ctx');
    mkdirSync(path.join(ctxDir, 'src', 'lib'), { recursive: true });
    writeFileSync(path.join(ctxDir, 'src', 'main.c'), 'int main;');
    writeFileSync(path.join(ctxDir, 'src', 'lib', 'l.c'), 'int l;');
    writeFileSync(path.join(ctxDir, 'src', 'lib', 'debug.log'), 'noise');
    writeFileSync(path.join(ctxDir, 'README'), 'read me');
    writeFileSync(path.join(ctxDir, '.dockerignore'), '**/*.log\n');
    return ctxDir;
  }

  it('gives the digest of its files map and, for an unchanged selection, takes it from the memo', async () => {
    const ctxDir = context();
    const file = path.join(dir, 'sc');
    const cache = await StatCache.open(file);
    const first = await digestSelection(await openContext(ctxDir), ['src', 'README'], { cache });
    const files = await first.files();
    expect(Object.keys(files).sort()).toEqual(['README', 'src', 'src/lib', 'src/lib/l.c', 'src/main.c']);
    expect(first.digest).toBe(filesDigest(files));
    await cache.save();
    // The memo alone answers for an unchanged selection: a doctored entry shows it was asked.
    const memo = readFileSync(`${file}.sel`, 'utf8');
    expect(memo).toContain(first.digest);
    writeFileSync(`${file}.sel`, memo.replace(first.digest, HASH_A));
    writeFileSync(file, 'garbage');
    const again = await digestSelection(await openContext(ctxDir), ['src', 'README'], { cache: await StatCache.open(file) });
    expect(again.digest).toBe(HASH_A);
    // The map is still there on demand, computed afresh.
    expect(await again.files()).toEqual(files);
  });

  it('changes with content, mode or a new file; not with an ignored file or a bare mtime change', async () => {
    const ctxDir = context();
    const file = path.join(dir, 'sc');
    const digest = async (): Promise<string> => {
      const cache = await StatCache.open(file);
      const d = await digestSelection(await openContext(ctxDir), ['.'], { cache });
      await cache.save();
      return d.digest;
    };
    const base = await digest();
    writeFileSync(path.join(ctxDir, 'src', 'lib', 'debug.log'), 'more noise');
    expect(await digest()).toBe(base);
    utimesSync(path.join(ctxDir, 'README'), 7, 7);
    expect(await digest()).toBe(base);
    writeFileSync(path.join(ctxDir, 'README'), 'READ ME');
    utimesSync(path.join(ctxDir, 'README'), 7, 7);
    const content = await digest();
    expect(content).not.toBe(base);
    chmodSync(path.join(ctxDir, 'src', 'main.c'), 0o600);
    const mode = await digest();
    expect(new Set([base, content, mode]).size).toBe(3);
    writeFileSync(path.join(ctxDir, 'src', 'lib', 'new.c'), '');
    expect(new Set([base, content, mode, await digest()]).size).toBe(4);
  });

  it('applies --exclude patterns relative to each selected directory', async () => {
    const ctxDir = context();
    const sel = await digestSelection(await openContext(ctxDir), ['src'], { cache: await StatCache.open(undefined), exclude: ['lib/*.c'] });
    expect(Object.keys(await sel.files()).sort()).toEqual(['src', 'src/lib', 'src/main.c']);
  });
});

describe('StatCache selection memo', () => {
  it('persists remembered digests, merges with another writer and keeps the newest', async () => {
    const file = path.join(dir, 'sc');
    const a = await StatCache.open(file);
    const b = await StatCache.open(file);
    a.rememberSelection(HASH_A, HASH_B);
    b.rememberSelection(HASH_B, HASH_A);
    await a.save();
    await b.save();
    const c = await StatCache.open(file);
    expect(c.selection(HASH_A)).toBe(HASH_B);
    expect(c.selection(HASH_B)).toBe(HASH_A);
    for (let i = 0; i < 300; i++) c.rememberSelection(i.toString(16).padStart(64, '0'), HASH_A);
    await c.save();
    const d = await StatCache.open(file);
    expect(d.selection((299).toString(16).padStart(64, '0'))).toBe(HASH_A);
    expect(d.selection(HASH_A)).toBeUndefined();
  });
});
