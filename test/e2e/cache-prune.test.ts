// Pruning end to end: dangling data, --all (tagged images survive), --filter until, --keep-storage, auto GC.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CacheStore, ContentStore } from '../../src/content/index.js';
import { createSnapshotter } from '../../src/snapshotter/index.js';
import { have } from '../helpers/env.js';
import { tempDir, tsbuild } from '../helpers/cli.js';
import { buildImage, cache, makeContext, records } from './cache-helpers.js';

interface Report {
  reclaimed: number;
  records: number;
  snapshots: number;
  activeSnapshots: number;
  blobs: number;
  ingest: number;
}
interface Usage {
  total: number;
  reclaimable: number;
}

async function pruneJson(root: string, args: string[]): Promise<Report> {
  const r = await cache(root, ['prune', '--format', 'json', ...args]);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Report;
}

async function usage(root: string): Promise<Usage> {
  return JSON.parse((await cache(root, ['du', '--format', 'json'])).stdout) as Usage;
}

async function saveWorks(root: string, name: string, dir: string): Promise<boolean> {
  const r = await tsbuild(['--root', root, 'image', 'save', '-o', path.join(dir, `${randomBytes(3).toString('hex')}.tar`), name]);
  return r.code === 0;
}

async function snapshotKeys(root: string): Promise<Array<{ key: string; kind: string }>> {
  const s = await createSnapshotter({ kind: 'auto', root: path.join(root, 'snapshots') });
  const out: Array<{ key: string; kind: string }> = [];
  await s.walk((i) => void out.push({ key: i.key, kind: i.kind }));
  return out;
}

const DAY = 86_400_000;

describe.skipIf(!have('root', 'overlay', 'busybox'))('cache prune', () => {
  const t = tempDir('tsb-prune-');
  afterAll(() => t.cleanup());

  it('without flags removes only dangling data: orphan ingest files, unreferenced blobs, stale active snapshots', async () => {
    const root = path.join(t.dir, 'dangling');
    const ctxDir = path.join(t.dir, 'ctx-dangling');
    makeContext(ctxDir);
    expect((await buildImage(root, ctxDir, ['-t', 'app:1', '--max-cache-size', '0'])).code).toBe(0);
    const before = await records(root);
    const content = new ContentStore(root);
    const stray = await content.putBuffer(randomBytes(5000));
    const old = new Date(Date.now() - DAY);
    utimesSync(content.path(stray.digest), old, old);
    mkdirSync(content.ingestDir, { recursive: true });
    const orphan = path.join(content.ingestDir, 'deadbeef');
    writeFileSync(orphan, randomBytes(1000));
    utimesSync(orphan, old, old);
    const snaps = await createSnapshotter({ kind: 'auto', root: path.join(root, 'snapshots') });
    await snaps.prepare('active-crashed', before.find((r) => r.result.snapshot)?.result.snapshot);

    const rep = await pruneJson(root, []);
    expect(rep.records).toBe(0);
    expect(rep.blobs).toBe(1);
    expect(rep.ingest).toBe(1);
    expect(rep.activeSnapshots).toBe(1);
    expect(await content.has(stray.digest)).toBe(false);
    expect(existsSync(orphan)).toBe(false);
    expect((await snapshotKeys(root)).some((s) => s.key === 'active-crashed')).toBe(false);
    expect((await records(root)).map((r) => r.key).sort()).toEqual(before.map((r) => r.key).sort());
    expect(await saveWorks(root, 'app:1', t.dir)).toBe(true);
  });

  it('--all frees everything a tagged image does not need; the image survives and a rebuild works', async () => {
    const root = path.join(t.dir, 'all');
    const ctxDir = path.join(t.dir, 'ctx-all');
    makeContext(ctxDir);
    expect((await buildImage(root, ctxDir, ['-t', 'app:1', '--max-cache-size', '0'])).code).toBe(0);
    const other = path.join(t.dir, 'ctx-all-2');
    makeContext(other);
    writeFileSync(path.join(other, 'b.txt'), randomBytes(200_000).toString('hex'));
    // Untagged: its manifest, config and own layer are reclaimable.
    expect((await buildImage(root, other, ['--max-cache-size', '0'])).code).toBe(0);
    const u = await usage(root);

    const out = await cache(root, ['prune', '--all']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/Total reclaimed: \d/);
    expect(await records(root)).toEqual([]);
    expect((await snapshotKeys(root)).filter((s) => s.kind === 'committed')).toEqual([]);
    const after = await usage(root);
    expect(after.reclaimable).toBe(0);
    // What du promised is (within a few KiB of metadata) what went.
    expect(Math.abs(u.total - after.total - u.reclaimable)).toBeLessThan(Math.max(64 * 1024, u.reclaimable * 0.05));
    expect(await saveWorks(root, 'app:1', t.dir)).toBe(true);

    const again = await buildImage(root, ctxDir, ['-t', 'app:1', '--max-cache-size', '0']);
    expect(again.code, again.stderr).toBe(0);
    // Every record went, so every step runs again.
    expect(again.stderr).not.toContain('CACHED');
    expect(again.stderr).toMatch(/COPY busybox/);
    expect((await records(root)).length).toBeGreaterThanOrEqual(4);
  });

  it('--filter until removes only records unused for longer than the duration', async () => {
    const root = path.join(t.dir, 'until');
    const ctxDir = path.join(t.dir, 'ctx-until');
    makeContext(ctxDir);
    expect((await buildImage(root, ctxDir, ['-t', 'app:1', '--max-cache-size', '0'])).code).toBe(0);
    const recs = await records(root);
    const store = new CacheStore(root);
    const stale = recs.filter((r) => r.name.includes('COPY b.txt'));
    expect(stale).toHaveLength(1);
    for (const r of stale) await store.touch(r.key, new Date(Date.now() - 3 * DAY));

    expect((await cache(root, ['prune', '--filter', 'until=7d'])).code).toBe(0);
    expect((await records(root)).length).toBe(recs.length);
    const rep = await pruneJson(root, ['--filter', 'until=48h']);
    expect(rep.records).toBe(1);
    expect(rep.snapshots).toBe(1);
    const left = (await records(root)).map((r) => r.key);
    expect(left).not.toContain(stale[0]?.key);
    expect(left.length).toBe(recs.length - 1);

    const bad = await cache(root, ['prune', '--filter', 'until=soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('TSB9001');
  });

  it('--keep-storage removes least recently used records until the store fits', async () => {
    const root = path.join(t.dir, 'keep');
    const ctxA = path.join(t.dir, 'ctx-keep-a');
    const ctxB = path.join(t.dir, 'ctx-keep-b');
    for (const d of [ctxA, ctxB]) {
      makeContext(d, 'FROM scratch\nCOPY big /big\n');
      writeFileSync(path.join(d, 'big'), randomBytes(2_000_000));
    }
    expect((await buildImage(root, ctxA, ['--max-cache-size', '0'])).code).toBe(0);
    const aKeys = (await records(root)).map((r) => r.key);
    const store = new CacheStore(root);
    for (const k of aKeys) await store.touch(k, new Date(Date.now() - DAY));
    expect((await buildImage(root, ctxB, ['--max-cache-size', '0'])).code).toBe(0);
    const total = (await usage(root)).total;

    const keep = total - 1_000_000;
    const rep = await pruneJson(root, ['--keep-storage', String(keep)]);
    const left = (await records(root)).map((r) => r.key);
    const aBig = aKeys.filter((k) => !left.includes(k));
    expect(aBig.length).toBeGreaterThanOrEqual(1);
    expect(left.length).toBeGreaterThan(0);
    expect(rep.reclaimed).toBeGreaterThan(1_000_000);
    expect((await usage(root)).total).toBeLessThanOrEqual(keep);
    // B's big step was used last, so it stays.
    expect((await records(root)).some((r) => r.name.includes('COPY big') && !aKeys.includes(r.key))).toBe(true);
  });

  it('auto GC after a build keeps the store under --max-cache-size; 0 disables it', async () => {
    const root = path.join(t.dir, 'auto');
    const ctxDir = path.join(t.dir, 'ctx-auto');
    makeContext(ctxDir);
    expect((await buildImage(root, ctxDir, ['-t', 'app:1', '--max-cache-size', '0'])).code).toBe(0);
    expect((await records(root)).length).toBeGreaterThanOrEqual(4);
    writeFileSync(path.join(ctxDir, 'b.txt'), 'changed\n');
    const b = await buildImage(root, ctxDir, ['-t', 'app:2', '--max-cache-size', '1k']);
    expect(b.code, b.stderr).toBe(0);
    expect(await records(root)).toEqual([]);
    expect((await snapshotKeys(root)).filter((s) => s.kind === 'committed')).toEqual([]);
    expect(await saveWorks(root, 'app:1', t.dir)).toBe(true);
    expect(await saveWorks(root, 'app:2', t.dir)).toBe(true);
    const bad = await buildImage(root, ctxDir, ['--max-cache-size', 'lots']);
    expect(bad.code).toBe(2);
  });

  it('two prunes at once take turns under the GC lock', async () => {
    const root = path.join(t.dir, 'twice');
    const ctxDir = path.join(t.dir, 'ctx-twice');
    makeContext(ctxDir);
    expect((await buildImage(root, ctxDir, ['--max-cache-size', '0'])).code).toBe(0);
    const n = (await records(root)).length;
    const [a, b] = await Promise.all([pruneJson(root, ['--all']), pruneJson(root, ['--all'])]);
    expect(a.records + b.records).toBe(n);
    expect(readdirSync(root)).not.toContain('gc.lock');
  });
});
