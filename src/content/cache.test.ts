import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
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

  it('keeps a files map beside its record: read on request, left out of hits and listings, deleted with it', async () => {
    const s = new CacheStore(root);
    const key = 'ef'.repeat(32);
    const files = { 'a.txt': 'file 644 0:0 - abc', dir: 'dir 755 0:0 - -' };
    const rec = record(key, '2021-01-01T00:00:00.000Z');
    await s.put({ ...rec, preimage: { ...rec.preimage, filesDigest: 'd'.repeat(64), files } });
    const onDisk = JSON.parse(readFileSync(s.fileOf(key), 'utf8')) as CacheRecord;
    expect(onDisk.preimage.files).toBeUndefined();
    expect(onDisk.preimage.filesDigest).toBe('d'.repeat(64));
    const fresh = new CacheStore(root);
    expect((await fresh.get(key))?.preimage.files).toEqual(files);
    expect((await fresh.get(key, { files: false }))?.preimage).toEqual({ op: { type: 'exec' }, inputs: [], inputNames: [], filesDigest: 'd'.repeat(64) });
    expect((await fresh.list())[0]?.preimage.files).toBeUndefined();
    expect((await fresh.latestForStep('Dockerfile:stage0:1'))?.preimage.files).toEqual(files);
    await fresh.delete(key);
    expect(readdirSync(path.join(root, 'cache', 'records'))).toEqual([]);
  });

  it('sweeps files maps whose record never came, once they are old', async () => {
    const s = new CacheStore(root);
    const dir = path.join(root, 'cache', 'records');
    await s.put(record('12'.repeat(32), '2021-01-01T00:00:00.000Z'));
    const old = path.join(dir, `${'34'.repeat(32)}.files`);
    const recent = path.join(dir, `${'56'.repeat(32)}.files`);
    writeFileSync(old, '{}');
    writeFileSync(recent, '{}');
    utimesSync(old, new Date('2020-01-01'), new Date('2020-01-01'));
    await s.sweepStepPointers();
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(await s.get('12'.repeat(32))).toBeDefined();
  });
});
