// RUN resource limits end to end: --memory ends a hungry step with TSB3002, --pids-limit caps a fork storm.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { have } from '../helpers/env.js';
import { tempDir, tsbuild } from '../helpers/cli.js';
import { BASE, build, busyboxContext, outputLines, printed } from './run.helpers.js';

const ok = have('root', 'overlay', 'runc', 'busybox');

async function imageNames(root: string): Promise<string[]> {
  const ls = await tsbuild(['--root', root, 'image', 'ls', '--format', 'json']);
  return (JSON.parse(ls.stdout || '[]') as Array<{ name: string }>).map((r) => r.name);
}

describe.skipIf(!ok)('RUN resource limits', () => {
  const t = tempDir('tsb-run-limits-');
  const root = path.join(t.dir, 'store');
  // busybox tail -c N keeps the last N bytes in memory, so this really holds ~200 MB
  const hungry = busyboxContext(path.join(t.dir, 'hungry'), `${BASE}RUN head -c 200m /dev/zero | tail -c 200m | wc -c
`);
  // the subshell dies once fork fails; the sleeps it managed to start stay behind, children of
  // pid 1. Globbing /proc is a shell builtin, so counting needs no fork of its own.
  const storm = busyboxContext(path.join(t.dir, 'storm'), `${BASE}RUN (for i in $(seq 1 500); do sleep 30 & done) 2>/dev/null; set -- /proc/[0-9]*; echo "procs=$#"; kill -9 -1; wait; echo finished
`);
  afterAll(() => t.cleanup());

  it('the hungry step succeeds with enough memory (it really allocates ~200 MB)', async () => {
    const r = await build(root, hungry, ['--memory', '512m', '--no-cache']);
    expect(r.code, r.stderr).toBe(0);
    expect(outputLines(r.stderr)).toContain(String(200 * 1024 * 1024));
  });

  it('--memory 64m: TSB3002 naming the step and the limit, exit 1, nothing tagged', async () => {
    const started = Date.now();
    const r = await build(root, hungry, ['--memory', '64m', '--no-cache', '-t', 'oom:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Dockerfile:4:1: error TSB3002: RUN head -c 200m \/dev\/zero.*out-of-memory.*64 ?MiB/);
    expect(await imageNames(root)).not.toContain('docker.io/library/oom:1');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('--pids-limit 64: a fork storm is capped and the step ends quickly', async () => {
    const started = Date.now();
    const r = await build(root, storm, ['--pids-limit', '64', '--no-cache']);
    expect(r.code, r.stderr).toBe(0);
    const procs = Number(printed(r.stderr, 'procs'));
    // pid 1 plus the sleeps: at the limit, never above it
    expect(procs).toBeLessThanOrEqual(64);
    expect(procs).toBeGreaterThan(32);
    expect(outputLines(r.stderr)).toContain('finished');
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('without --pids-limit the same step starts all 500 sleeps (the limit above did the capping)', async () => {
    const r = await build(root, storm, ['--no-cache']);
    expect(r.code, r.stderr).toBe(0);
    expect(Number(printed(r.stderr, 'procs'))).toBe(501);
  });
});
