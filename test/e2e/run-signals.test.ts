// Killing tsbuild mid-RUN: SIGTERM and SIGINT end it promptly with nothing left mounted, running
// or half-made; after SIGKILL the next build in the same store still succeeds.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { have, repoRoot } from '../helpers/env.js';
import { tempDir } from '../helpers/cli.js';
import { ensureDist } from '../helpers/dist.js';
import { BASE, build, busyboxContext } from './run.helpers.js';

const ok = have('root', 'overlay', 'runc', 'busybox');
const bin = path.join(repoRoot, 'bin', 'tsbuild.js');

interface Child {
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
  kill: (sig: NodeJS.Signals) => void;
  pid: number;
}

function startBuild(root: string, ctx: string, tmp: string): Child {
  const child = spawn(process.execPath, [bin, '--root', root, 'build', '--progress', 'plain', ctx], {
    cwd: ctx,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: tmp },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { exited, stderr: () => err, kill: (sig) => child.kill(sig), pid: child.pid ?? -1 };
}

async function waitFor(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function runcList(root: string): string[] {
  const out = execFileSync('runc', ['--root', path.join(root, 'runc'), 'list', '-q'], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

function mountsUnder(...dirs: string[]): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => dirs.some((d) => l.includes(d)));
}

function cgroupsNamed(id: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(dir, n);
      if (n === id) found.push(p);
      else if (depth < 6 && statSync(p, { throwIfNoEntry: false })?.isDirectory() && !n.includes('.')) walk(p, depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return found;
}

describe.skipIf(!ok)('killing a build in the middle of a RUN', () => {
  const t = tempDir('tsb-run-kill-');
  const ctx = busyboxContext(path.join(t.dir, 'ctx'), `${BASE}RUN echo started && sleep 100\n`);
  const leftovers: Array<{ root: string; tmp: string }> = [];

  beforeAll(() => ensureDist(), 120_000);
  afterAll(() => {
    // whatever a failed assertion (or SIGKILL) left: stop containers, unmount, then delete
    for (const { root, tmp } of leftovers) {
      try {
        for (const id of runcList(root)) spawnSync('runc', ['--root', path.join(root, 'runc'), 'delete', '--force', id]);
      } catch {
        // no runc state dir
      }
      for (const line of mountsUnder(tmp, root)) {
        const mp = line.split(' ')[4];
        if (mp) spawnSync('umount', ['-l', mp]);
      }
    }
    t.cleanup();
  });

  async function killMidRun(name: string, sig: NodeJS.Signals): Promise<{ root: string; tmp: string; id: string; child: Child; took: number; result: { code: number | null; signal: NodeJS.Signals | null } }> {
    const root = path.join(t.dir, `store-${name}`);
    const tmp = path.join(t.dir, `tmp-${name}`);
    mkdirSync(tmp);
    leftovers.push({ root, tmp });
    const child = startBuild(root, ctx, tmp);
    await waitFor('the RUN step to print', () => / started$/m.test(child.stderr()));
    const ids = runcList(root);
    expect(ids).toHaveLength(1);
    const started = Date.now();
    child.kill(sig);
    const result = await child.exited;
    return { root, tmp, id: ids[0] ?? '', child, took: Date.now() - started, result };
  }

  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it(`${sig}: exits promptly, non-zero, leaving no container, mount, cgroup or scratch dir`, async () => {
      const { root, tmp, id, child, took, result } = await killMidRun(sig.toLowerCase(), sig);
      expect(took).toBeLessThan(10_000);
      expect(result.code === null ? 128 : result.code).not.toBe(0);
      expect(child.stderr()).toMatch(/TSB3008/);
      expect(mountsUnder(root, tmp)).toEqual([]);
      expect(runcList(root)).toEqual([]);
      expect(cgroupsNamed(id)).toEqual([]);
      expect(readdirSync(path.join(root, 'tmp'))).toEqual([]);
      expect(readdirSync(tmp)).toEqual([]);
    });
  }

  it('SIGKILL: the next build in the same store succeeds and reaps the orphaned container', async () => {
    const { root, result, id } = await killMidRun('sigkill', 'SIGKILL');
    expect(result.signal).toBe('SIGKILL');
    // The killed process could not stop its container: it is still listed.
    expect(runcList(root)).toContain(id);
    const next = busyboxContext(path.join(t.dir, 'ctx-next'), `${BASE}RUN echo "after=$((40+2))"\n`);
    const r = await build(root, next);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('after=42');
    expect(runcList(root)).toEqual([]);
  });
});
