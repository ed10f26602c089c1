// Leases end to end: live leases protect a running build from prune, dead ones (SIGKILL) are cleaned.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { compiledModules } from '../../src/content/child.testutil.js';
import { createSnapshotter, isMountPoint, mountAll, unmountAll } from '../../src/snapshotter/index.js';
import { have } from '../helpers/env.js';
import { tempDir, tsbuild } from '../helpers/cli.js';
import { buildImage, cache, makeContext, records } from './cache-helpers.js';

function leaseFiles(root: string): string[] {
  const dir = path.join(root, 'leases');
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.json')) : [];
}

function bootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

function writeLease(root: string, name: string, pid: number, started: number): string {
  const dir = path.join(root, 'leases');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify({ pid, procStart: '', boot: bootId(), host: os.hostname(), started }));
  return file;
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(25);
  }
}

describe.skipIf(!have('root', 'overlay', 'busybox'))('build leases and GC', () => {
  const t = tempDir('tsb-lease-');
  afterAll(() => t.cleanup());

  it('a live lease protects what was created after it began; a dead one is removed and protects nothing', async () => {
    const root = path.join(t.dir, 'fake');
    const ctxDir = path.join(t.dir, 'ctx-fake');
    makeContext(ctxDir);
    const live = writeLease(root, 'live.json', process.pid, Date.now() - 60_000);
    expect((await buildImage(root, ctxDir, ['--max-cache-size', '0'])).code).toBe(0);
    const n = (await records(root)).length;
    expect(n).toBeGreaterThanOrEqual(4);

    const held = await cache(root, ['prune', '--all']);
    expect(held.code, held.stderr).toBe(0);
    expect((await records(root)).length).toBe(n);
    expect(existsSync(live)).toBe(true);

    // A process that has exited: its lease, however old, no longer counts.
    const child = spawn(process.execPath, ['-e', '']);
    const pid = child.pid ?? 0;
    await new Promise((r) => child.on('exit', r));
    const dead = writeLease(root, 'dead.json', pid, Date.now() - 3_600_000);
    const still = await cache(root, ['prune', '--all']);
    expect(still.code).toBe(0);
    expect(existsSync(dead)).toBe(false);
    expect((await records(root)).length).toBe(n);

    writeFileSync(live, JSON.stringify({ pid, procStart: '', boot: bootId(), host: os.hostname(), started: 0 }));
    const freed = await cache(root, ['prune', '--all']);
    expect(freed.code).toBe(0);
    expect(await records(root)).toEqual([]);
    expect(leaseFiles(root)).toEqual([]);
  });

  it('the lease of a build process killed with SIGKILL is cleaned by the next prune, with its stale snapshot', async () => {
    const root = path.join(t.dir, 'killed');
    const env = await compiledModules(['core', 'pipeline']);
    try {
      const script = await env.script('hold.mjs', `
        import { acquireLease } from './src/pipeline/lease.js';
        await acquireLease(${JSON.stringify(root)});
        console.log('leased');
        setInterval(() => {}, 1000);
      `);
      const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((r) => child.on('exit', r));
      await waitFor(() => leaseFiles(root).length === 1, 10_000);
      const snaps = await createSnapshotter({ kind: 'auto', root: path.join(root, 'snapshots') });
      await snaps.prepare('active-of-killed-build');

      const whileAlive = await cache(root, ['prune']);
      expect(whileAlive.code).toBe(0);
      expect(await snaps.stat('active-of-killed-build')).toBeDefined();

      child.kill('SIGKILL');
      await exited;
      const after = await cache(root, ['prune', '--format', 'json']);
      expect(after.code, after.stderr).toBe(0);
      expect(leaseFiles(root)).toEqual([]);
      expect(await snaps.stat('active-of-killed-build')).toBeUndefined();
      expect((JSON.parse(after.stdout) as { activeSnapshots: number }).activeSnapshots).toBe(1);
    } finally {
      await env.cleanup();
    }
  });

  it('prune unmounts what a killed build left mounted on its active snapshot, then removes the snapshot', async () => {
    const root = path.join(t.dir, 'mounted');
    const snaps = await createSnapshotter({ kind: 'auto', root: path.join(root, 'snapshots') });
    const mounts = await snaps.prepare('active-killed-mid-step');
    const mp = mkdtempSync(path.join(os.tmpdir(), 'tsbuild-mnt-'));
    await mountAll(mounts, mp);
    try {
      writeFileSync(path.join(mp, 'inside'), 'x');
      const r = await cache(root, ['prune', '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      const rep = JSON.parse(r.stdout) as { mounts: number; activeSnapshots: number };
      expect(rep.mounts).toBe(1);
      expect(rep.activeSnapshots).toBe(1);
      expect(await isMountPoint(mp)).toBe(false);
      expect(existsSync(mp)).toBe(false);
    } finally {
      await unmountAll(mp).catch(() => undefined);
      rmSync(mp, { recursive: true, force: true });
    }
  });

  it.skipIf(!have('runc'))('prune --all during a running build leaves that build intact', async () => {
    const root = path.join(t.dir, 'concurrent');
    const oldCtx = path.join(t.dir, 'ctx-old');
    makeContext(oldCtx, 'FROM scratch\nCOPY a.txt /old.txt\n');
    expect((await buildImage(root, oldCtx, ['--max-cache-size', '0'])).code).toBe(0);
    const oldKeys = (await records(root)).filter((r) => r.name.includes('COPY a.txt /old.txt')).map((r) => r.key);
    expect(oldKeys).toHaveLength(1);
    // Leases allow a second of clock slack: let the old build fall clearly before the new one.
    await sleep(1500);

    const ctxDir = path.join(t.dir, 'ctx-run');
    makeContext(ctxDir, 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","sh","-c","/bin/busybox sleep 3; echo done > /done"]\nCOPY a.txt /a.txt\n');
    const running = buildImage(root, ctxDir, ['-t', 'busy:1', '--max-cache-size', '0']);
    let pruned: Awaited<ReturnType<typeof cache>>;
    try {
      // Wait until the build has committed its first layer and is inside the RUN.
      await waitFor(async () => (await records(root)).some((r) => r.name.includes('COPY busybox')), 20_000);
      pruned = await cache(root, ['prune', '--all', '--format', 'json']);
    } finally {
      // Never leave the build running (and its mounts behind) when an assertion fails.
      await running;
    }
    expect(pruned.code, pruned.stderr).toBe(0);
    const rep = JSON.parse(pruned.stdout) as { records: number; heldByLeases: number };
    // The older build's own record was fair game; the running build's (and the FROM scratch it reused) were not.
    expect(rep.records).toBe(1);
    const b = await running;
    expect(b.code, b.stderr).toBe(0);
    const left = await records(root);
    expect(left.some((r) => oldKeys.includes(r.key))).toBe(false);
    expect(left.some((r) => r.name.includes('COPY busybox'))).toBe(true);
    const save = await tsbuild(['--root', root, 'image', 'save', '-o', path.join(t.dir, 'busy.tar'), 'busy:1']);
    expect(save.code, save.stderr).toBe(0);
    const explain = await cache(root, ['explain', '--format', 'json', ctxDir]);
    expect((JSON.parse(explain.stdout) as Array<{ cached: boolean }>).every((s) => s.cached)).toBe(true);
    expect(leaseFiles(root)).toEqual([]);
  });
});
