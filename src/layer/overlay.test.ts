// Tests for diffOverlayUpper on a real overlayfs mount (root only), round-tripped through applyLayer.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readFile, rm, writeFile, lstat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { applyLayer, diffOverlayUpper, diffTrees } from './index.js';
import { buffer, listTar, snapshotTree, tempDir } from './test-util.js';
import { have } from '../../test/helpers/env.js';

let base: string;
let cleanup: () => Promise<void>;
let lower: string;
let upper: string;
let work: string;
let merged: string;
let mounted = false;

function mount(): void {
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, merged]);
  mounted = true;
}
function umount(): void {
  if (mounted) execFileSync('umount', [merged]);
  mounted = false;
}

describe.skipIf(!have('root', 'overlay'))('diffOverlayUpper on a real overlay mount', () => {
  beforeEach(async () => {
    ({ dir: base, cleanup } = await tempDir());
    [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => path.join(base, d)) as [string, string, string, string];
    for (const d of [upper, work, merged]) await mkdir(d);
    await mkdir(path.join(lower, 'dir/sub'), { recursive: true });
    await writeFile(path.join(lower, 'dir/old'), 'old');
    await writeFile(path.join(lower, 'dir/sub/deep'), 'deep');
    await writeFile(path.join(lower, 'keep'), 'keep');
    await writeFile(path.join(lower, 'del'), 'del');
    await mkdir(path.join(lower, 'etc'));
    await writeFile(path.join(lower, 'etc/conf'), 'v1');
  });
  afterEach(async () => {
    umount();
    await cleanup();
  });

  it('turns whiteouts and opaque dirs into OCI markers that re-apply to the merged view', async () => {
    mount();
    await rm(path.join(merged, 'del'));
    await rm(path.join(merged, 'dir'), { recursive: true });
    await mkdir(path.join(merged, 'dir'));
    await writeFile(path.join(merged, 'dir/new'), 'new');
    await writeFile(path.join(merged, 'etc/conf'), 'v2');
    await writeFile(path.join(merged, 'added'), 'added');
    execFileSync('setcap', ['cap_net_raw+ep', path.join(merged, 'added')], { stdio: 'ignore' });
    const want = await snapshotTree(merged);
    umount();

    const tarBytes = await buffer(diffOverlayUpper(upper, { sourceDateEpoch: 1_000_000_000 }));
    const entries = await listTar(tarBytes);
    expect(entries.map((e) => e.header.name)).toEqual(['.wh.del', 'added', 'dir/', 'dir/.wh..wh..opq', 'dir/new', 'etc/', 'etc/conf']);
    const cap = entries.find((e) => e.header.name === 'added')?.header.xattrs.get('security.capability');
    expect(cap?.length).toBeGreaterThan(0);

    // plain: applying onto a copy of lower reproduces the merged view
    const plain = path.join(base, 'plain');
    await cp(lower, plain, { recursive: true, preserveTimestamps: true });
    await applyLayer(Readable.from([tarBytes]), plain, { format: 'plain' });
    const noTimes = (lines: string[]): string[] => lines.map((l) => l.split(' ').filter((_, i) => i !== 3).join(' '));
    expect(noTimes(await snapshotTree(plain))).toEqual(noTimes(want));
    expect(execFileSync('getcap', [path.join(plain, 'added')]).toString()).toContain('cap_net_raw');

    // overlay: applying into a fresh upper dir and mounting it reproduces the merged view too
    const upper2 = path.join(base, 'upper2');
    await mkdir(upper2);
    await applyLayer(Readable.from([tarBytes]), upper2, { format: 'overlay' });
    expect((await lstat(path.join(upper2, 'del'))).rdev).toBe(0);
    [upper, work] = [upper2, path.join(base, 'work2')];
    await mkdir(work);
    mount();
    expect(noTimes(await snapshotTree(merged))).toEqual(noTimes(want));
    expect(await readFile(path.join(merged, 'dir/new'), 'utf8')).toBe('new');
  });

  it('agrees with diffTrees on the same change', async () => {
    mount();
    await rm(path.join(merged, 'keep'));
    await writeFile(path.join(merged, 'etc/conf'), 'v3');
    const full = path.join(base, 'full');
    // cp -a keeps directory mtimes too (fs.cp only keeps those of files).
    execFileSync('cp', ['-a', merged, full]);
    umount();
    const viaOverlay = (await listTar(await buffer(diffOverlayUpper(upper)))).map((e) => e.header.name);
    const viaTrees = (await listTar(await buffer(diffTrees(lower, full)))).map((e) => e.header.name);
    expect(viaOverlay).toEqual(['.wh.keep', 'etc/', 'etc/conf']);
    expect(viaTrees).toEqual(viaOverlay);
  });

  it('with the lower dirs, writes an opaque directory as whiteouts of what it hides, like diffTrees', async () => {
    // a second lower above the first: its whiteout and opaque dir must hide the older entries
    const lower2 = path.join(base, 'lower2');
    await mkdir(path.join(lower2, 'dir'), { recursive: true });
    await writeFile(path.join(lower2, 'dir/newer'), 'n');
    execFileSync('mknod', [path.join(lower2, 'dir/old'), 'c', '0', '0']);
    await mkdir(path.join(lower2, 'etc'));
    execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', path.join(lower2, 'etc')]);
    await writeFile(path.join(lower2, 'etc/only'), 'o');
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower2}:${lower},upperdir=${upper},workdir=${work}`, merged]);
    mounted = true;
    const full = path.join(base, 'before');
    execFileSync('cp', ['-a', merged, full]);
    await rm(path.join(merged, 'dir'), { recursive: true });
    await mkdir(path.join(merged, 'dir/sub'), { recursive: true });
    await writeFile(path.join(merged, 'dir/sub/fresh'), 'f');
    await rm(path.join(merged, 'etc'), { recursive: true });
    await mkdir(path.join(merged, 'etc'));
    const after = path.join(base, 'after');
    execFileSync('cp', ['-a', merged, after]);
    umount();
    expect(execFileSync('getfattr', ['-n', 'trusted.overlay.opaque', '--only-values', '--absolute-names', path.join(upper, 'dir')]).toString()).toBe('y');

    const names = (await listTar(await buffer(diffOverlayUpper(upper, { lowers: [lower2, lower] })))).map((e) => e.header.name);
    // dir/old is gone in lower2 already; etc/conf is hidden by lower2's opaque etc
    expect(names).toEqual(['dir/', 'dir/.wh.newer', 'dir/sub/', 'dir/sub/.wh.deep', 'dir/sub/fresh', 'etc/', 'etc/.wh.only']);
    const viaTrees = (await listTar(await buffer(diffTrees(full, after)))).map((e) => e.header.name);
    expect(viaTrees).toEqual(names);
    const withoutLowers = (await listTar(await buffer(diffOverlayUpper(upper)))).map((e) => e.header.name);
    expect(withoutLowers).toEqual(['dir/', 'dir/.wh..wh..opq', 'dir/sub/', 'dir/sub/fresh', 'etc/', 'etc/.wh..wh..opq']);
  });

  it('with the lower dirs, leaves out a copied-up directory whose only change is its mtime', async () => {
    mount();
    // a stub comes and goes, as runc's mount points do: etc is copied up, its mtime moves
    await writeFile(path.join(merged, 'etc/stub'), '');
    await rm(path.join(merged, 'etc/stub'));
    await writeFile(path.join(merged, 'dir/sub/more'), 'm');
    umount();
    const names = async (lowers?: string[]): Promise<string[]> =>
      (await listTar(await buffer(diffOverlayUpper(upper, lowers ? { lowers } : {})))).map((e) => e.header.name);
    expect(await names([lower])).toEqual(['dir/', 'dir/sub/', 'dir/sub/more']);
    expect(await names()).toEqual(['dir/', 'dir/sub/', 'dir/sub/more', 'etc/']);
  });
});
