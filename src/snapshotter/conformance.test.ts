// One behaviour suite run against both snapshotters: lifecycle, mounts, whiteouts, crash leftovers, deep chains.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { have } from '../../test/helpers/env.js';
import { TsbuildError } from '../core/index.js';
import { createSnapshotter, listMountPoints, withMounts, type Snapshotter, type SnapshotInfo } from './index.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TsbuildError) return e.code;
    throw e;
  }
  return 'no error';
}

async function all(s: Snapshotter): Promise<SnapshotInfo[]> {
  const out: SnapshotInfo[] = [];
  await s.walk((i) => {
    out.push(i);
  });
  return out;
}

for (const kind of ['overlay', 'native'] as const) {
  describe.skipIf(!have('root', 'overlay'))(`snapshotter conformance: ${kind}`, () => {
    let root: string;
    let s: Snapshotter;

    beforeEach(async () => {
      root = await fsp.mkdtemp(path.join(os.tmpdir(), `tsb-snap-${kind}-`));
      s = await createSnapshotter({ kind, root });
    });
    afterEach(async () => {
      const leftover = (await listMountPoints()).filter((m) => m.startsWith(root));
      expect(leftover).toEqual([]);
      await fsp.rm(root, { recursive: true, force: true });
    });

    it('prepares, commits and views a chain; files flow through the mounts', async () => {
      expect(s.name).toBe(kind);
      const m1 = await s.prepare('a', undefined, { labels: { step: '1' } });
      await withMounts(m1, async (dir) => {
        await fsp.writeFile(path.join(dir, 'one'), '1');
        await fsp.mkdir(path.join(dir, 'd'));
        await fsp.writeFile(path.join(dir, 'd', 'keep'), 'k');
      });
      expect(await s.stat('a')).toMatchObject({ key: 'a', kind: 'active', labels: { step: '1' } });
      await s.commit('A', 'a');
      expect(await s.stat('a')).toBeUndefined();
      expect(await s.stat('A')).toMatchObject({ key: 'A', kind: 'committed' });

      const m2 = await s.prepare('b', 'A');
      await withMounts(m2, async (dir) => {
        expect(await fsp.readFile(path.join(dir, 'one'), 'utf8')).toBe('1');
        await fsp.writeFile(path.join(dir, 'two'), '2');
        await fsp.rm(path.join(dir, 'one'));
      });
      expect(await s.mounts('b')).toEqual(m2);
      const src = await s.diffSource('b');
      if (kind === 'overlay') {
        expect(src.kind).toBe('overlay');
        const wh = await fsp.lstat(path.join(src.upper, 'one'));
        expect(wh.isCharacterDevice()).toBe(true);
        expect(wh.rdev).toBe(0);
        expect(await fsp.readFile(path.join(src.upper, 'two'), 'utf8')).toBe('2');
        await expect(fsp.lstat(path.join(src.upper, 'd'))).rejects.toThrow();
      } else {
        expect(src.kind).toBe('compare');
        if (src.kind !== 'compare' || src.lower === undefined) throw new Error('native diff source needs a lower dir');
        expect(await fsp.readFile(path.join(src.lower, 'one'), 'utf8')).toBe('1');
        await expect(fsp.lstat(path.join(src.upper, 'one'))).rejects.toThrow();
        expect(await fsp.readFile(path.join(src.upper, 'd', 'keep'), 'utf8')).toBe('k');
      }
      await s.commit('B', 'b');
      expect(await s.stat('B')).toMatchObject({ kind: 'committed', parent: 'A' });

      const v = await s.view('v', 'B');
      expect(await s.stat('v')).toMatchObject({ kind: 'view', parent: 'B' });
      await withMounts(v, async (dir) => {
        expect((await fsp.readdir(dir)).sort()).toEqual(['d', 'two']);
        await expect(fsp.writeFile(path.join(dir, 'x'), 'x')).rejects.toMatchObject({ code: 'EROFS' });
      });
      // a view over a single layer and an empty view
      await withMounts(await s.view('v1', 'A'), async (dir) => {
        expect(await fsp.readFile(path.join(dir, 'one'), 'utf8')).toBe('1');
      });
      await withMounts(await s.view('v0'), async (dir) => {
        expect(await fsp.readdir(dir)).toEqual([]);
      });
    });

    it('enforces the lifecycle rules', async () => {
      await s.prepare('a');
      expect(await codeOf(s.prepare('a'))).toBe('TSB3010');
      expect(await codeOf(s.prepare('c', 'a'))).toBe('TSB3012');
      expect(await codeOf(s.prepare('c', 'missing'))).toBe('TSB3009');
      await s.commit('A', 'a');
      expect(await codeOf(s.commit('A2', 'A'))).toBe('TSB3012');
      expect(await codeOf(s.mounts('A'))).toBe('TSB3012');
      await s.prepare('b', 'A');
      expect(await codeOf(s.commit('A', 'b'))).toBe('TSB3010');
      expect(await codeOf(s.remove('A'))).toBe('TSB3011');
      await s.remove('b');
      await s.remove('A');
      expect(await all(s)).toEqual([]);
      expect(await codeOf(s.remove('A'))).toBe('TSB3009');
      expect(await fsp.readdir(path.join(root, 'snapshots'))).toEqual([]);
    });

    it('walks everything and reports usage and the apply target', async () => {
      const m = await s.prepare('a');
      const target = await s.applyTarget('a');
      expect(target.format).toBe(kind === 'overlay' ? 'overlay' : 'plain');
      await fsp.writeFile(path.join(target.dir, 'big'), Buffer.alloc(20_000, 1));
      await withMounts(m, async (dir) => {
        expect((await fsp.stat(path.join(dir, 'big'))).size).toBe(20_000);
      });
      const u = await s.usage('a');
      expect(u.size).toBeGreaterThanOrEqual(20_000);
      expect(u.inodes).toBe(2);
      await s.commit('A', 'a');
      expect(await codeOf(s.applyTarget('A'))).toBe('TSB3012');
      await s.prepare('b', 'A');
      await s.view('v', 'A');
      expect((await all(s)).map((i) => `${i.key}:${i.kind}:${i.parent ?? ''}`)).toEqual(['A:committed:', 'b:active:A', 'v:view:A']);
    });

    it('lists and removes an active snapshot left by a crashed process', async () => {
      await s.prepare('base');
      await s.commit('BASE', 'base');
      await s.prepare('left-behind', 'BASE');
      const dirsBefore = await fsp.readdir(path.join(root, 'snapshots'));
      // a new process opening the same root
      const again = await createSnapshotter({ kind: 'auto', root });
      expect(again.name).toBe(kind);
      const seen = await all(again);
      expect(seen.find((i) => i.key === 'left-behind')).toMatchObject({ kind: 'active', parent: 'BASE' });
      await again.remove('left-behind');
      expect(await again.stat('left-behind')).toBeUndefined();
      expect((await fsp.readdir(path.join(root, 'snapshots'))).length).toBe(dirsBefore.length - 1);
      // a directory without metadata (crash during creation) is swept on open
      await fsp.mkdir(path.join(root, 'snapshots', '9999', 'fs'), { recursive: true });
      await createSnapshotter({ kind, root });
      expect(await fsp.readdir(path.join(root, 'snapshots'))).not.toContain('9999');
      const other = kind === 'overlay' ? 'native' : 'overlay';
      expect(await codeOf(createSnapshotter({ kind: other, root }))).toBe('TSB3012');
    });

    it('keeps metadata consistent when two processes share the root', async () => {
      const other = await createSnapshotter({ kind, root });
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? s : other).prepare(`k${i}`)));
      const infos = await all(s);
      expect(infos.map((i) => i.key).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`).sort());
      expect(new Set(await fsp.readdir(path.join(root, 'snapshots'))).size).toBe(20);
    });

    it('mounts a chain of 150 committed layers and reads the bottom file', async () => {
      let parent: string | undefined;
      for (let i = 0; i < 150; i++) {
        await s.prepare(`w${i}`, parent);
        const t = await s.applyTarget(`w${i}`);
        await fsp.writeFile(path.join(t.dir, `layer-${i}`), String(i));
        if (i === 0) await fsp.writeFile(path.join(t.dir, 'bottom'), 'from the bottom');
        await s.commit(`L${i}`, `w${i}`);
        parent = `L${i}`;
      }
      const mounts = await s.prepare('top', parent);
      if (kind === 'overlay') {
        const lower = mounts[0]?.options.find((o) => o.startsWith('lowerdir=')) ?? '';
        expect(lower.split(':').length).toBe(150);
        expect(lower.length).toBeGreaterThan(4096);
      }
      await withMounts(mounts, async (dir) => {
        expect(await fsp.readFile(path.join(dir, 'bottom'), 'utf8')).toBe('from the bottom');
        expect(await fsp.readFile(path.join(dir, 'layer-149'), 'utf8')).toBe('149');
        expect((await fsp.readdir(dir)).length).toBe(151);
      });
    });
  });
}
