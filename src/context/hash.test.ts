import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync, mkdirSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openContext } from './context.js';
import { hashSelection, StatCache } from './hash.js';

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
  it('reuses cached hashes, notices content changes and keeps walk order', async () => {
    const ctxDir = path.join(dir, 'ctx');
    mkdirSync(path.join(ctxDir, 'a'), { recursive: true });
    writeFileSync(path.join(ctxDir, 'a', 'x'), 'one');
    writeFileSync(path.join(ctxDir, 'a.txt'), 'two');
    writeFileSync(path.join(ctxDir, 'big'), Buffer.alloc(3 << 20, 7));
    const ctx = await openContext(ctxDir);
    const file = path.join(dir, 'sc');
    const cache = await StatCache.open(file);
    const first = await hashSelection(ctx, ['.'], { cache });
    expect(Object.keys(first)).toEqual(['.', 'a', 'a/x', 'a.txt', 'big']);
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
