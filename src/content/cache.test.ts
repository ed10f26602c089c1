import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheStore, type CacheRecord } from './cache.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'tsbuild-cache-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function record(key: string, when: string, step = 'Dockerfile:stage0:1'): CacheRecord {
  return {
    key, step, name: '[1/1] RUN x', text: 'RUN x', result: { snapshot: 's1' },
    preimage: { op: { type: 'exec' }, inputs: [], inputNames: [] }, size: 0, created: when, lastUsed: when,
  };
}

describe('CacheStore', () => {
  it('keeps lastUsed across put, touch and a fresh store, without rewriting the record', async () => {
    const key = 'ab'.repeat(32);
    const s = new CacheStore(root);
    await s.put(record(key, '2021-03-04T05:06:07.089Z'));
    expect((await s.get(key))?.lastUsed).toBe('2021-03-04T05:06:07.089Z');
    const file = s.fileOf(key);
    const body = readFileSync(file, 'utf8');
    const ino = statSync(file).ino;
    await s.touch(key, new Date('2022-01-02T03:04:05.678Z'));
    expect(readFileSync(file, 'utf8')).toBe(body);
    expect(statSync(file).ino).toBe(ino);
    expect((await new CacheStore(root).get(key))?.lastUsed).toBe('2022-01-02T03:04:05.678Z');
    // Going back in time is allowed (tests and imports set old times).
    await new CacheStore(root).touch(key, new Date('2020-01-01T00:00:00.000Z'));
    expect((await s.get(key))?.lastUsed).toBe('2020-01-01T00:00:00.000Z');
    expect((await s.list()).map((r) => r.lastUsed)).toEqual(['2020-01-01T00:00:00.000Z']);
  });

  it('moves the step pointer on touch only when it names another record', async () => {
    const a = 'aa'.repeat(32);
    const b = 'bb'.repeat(32);
    const s = new CacheStore(root);
    await s.put(record(a, '2021-01-01T00:00:00.000Z'));
    await s.put(record(b, '2021-01-02T00:00:00.000Z'));
    expect((await s.latestForStep('Dockerfile:stage0:1'))?.key).toBe(b);
    await new CacheStore(root).touch(a);
    expect((await s.latestForStep('Dockerfile:stage0:1'))?.key).toBe(a);
    const steps = path.join(root, 'cache', 'steps');
    const [ptr] = readdirSync(steps);
    const mtime = statSync(path.join(steps, ptr ?? '')).mtimeMs;
    await s.touch(a);
    expect(statSync(path.join(steps, ptr ?? '')).mtimeMs).toBe(mtime);
  });

  it('treats a missing or torn record as a miss and ignores touches of it', async () => {
    const s = new CacheStore(root);
    const key = 'cd'.repeat(32);
    expect(await s.get(key)).toBeUndefined();
    await s.touch(key);
    expect(await s.get(key)).toBeUndefined();
    await s.put(record(key, '2021-01-01T00:00:00.000Z'));
    await s.delete(key);
    await s.touch(key);
    expect(await s.get(key)).toBeUndefined();
  });
});
