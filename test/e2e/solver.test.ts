// The cache and the scheduler end to end: no-op rebuilds, precise invalidation, --explain,
// parallel stages, and concurrent builds on one store.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxPath, have } from '../helpers/env.js';
import { tempDir, tsbuild } from '../helpers/cli.js';
import { ensureDist, spawnCli } from '../helpers/dist.js';
import { records } from './cache-helpers.js';

interface StepEvent {
  type: 'step';
  name: string;
  status: 'started' | 'cached' | 'done' | 'error';
  durationMs?: number;
  at: number;
}

function steps(stderr: string): StepEvent[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l, at) => ({ ...(JSON.parse(l) as Omit<StepEvent, 'at'>), at }))
    .filter((e) => e.type === 'step');
}

const resultDigest = (stderr: string): string | undefined =>
  (JSON.parse(stderr.trim().split('\n').pop() ?? '{}') as { digest?: string }).digest;

const ran = (stderr: string): string[] => steps(stderr).filter((e) => e.status === 'started').map((e) => e.name);

const DOCKERFILE = `FROM scratch AS lib
COPY lib/ /lib/

FROM scratch AS app
COPY app/ /app/
COPY --from=lib /lib/l.txt /lib/l.txt
COPY config.txt /etc/config.txt
ARG FLAVOR=plain
COPY flavors/\${FLAVOR}.txt /etc/flavor.txt
`;

describe.skipIf(!have('root', 'overlay'))('cache end to end', () => {
  const t = tempDir();
  const ctx = path.join(t.dir, 'ctx');
  const root = path.join(t.dir, 'store');
  const build = (extra: string[] = []) => tsbuild(['--root', root, 'build', '--progress', 'json', ...extra, '.'], { cwd: ctx });

  beforeAll(() => {
    for (const d of ['lib', 'app', 'flavors']) mkdirSync(path.join(ctx, d), { recursive: true });
    writeFileSync(path.join(ctx, 'lib', 'l.txt'), 'lib\n');
    writeFileSync(path.join(ctx, 'lib', 'unused.txt'), 'unused\n');
    writeFileSync(path.join(ctx, 'app', 'main.txt'), 'main v1\n');
    writeFileSync(path.join(ctx, 'app', 'other.txt'), 'other\n');
    writeFileSync(path.join(ctx, 'config.txt'), 'config\n');
    writeFileSync(path.join(ctx, 'flavors', 'plain.txt'), 'plain\n');
    writeFileSync(path.join(ctx, 'flavors', 'spicy.txt'), 'spicy\n');
    writeFileSync(path.join(ctx, 'Dockerfile'), DOCKERFILE);
  });
  afterAll(() => t.cleanup());

  it('the second build of an unchanged project executes no step', async () => {
    const first = await build();
    expect(first.code, first.stderr).toBe(0);
    expect(ran(first.stderr).length).toBeGreaterThanOrEqual(5);
    const used = new Map((await records(root)).map((r) => [r.key, r.lastUsed]));
    const second = await build();
    expect(second.code, second.stderr).toBe(0);
    expect(ran(second.stderr)).toEqual([]);
    // Every record that served a step was marked used by the time the build ended.
    const after = await records(root);
    expect(after.filter((r) => (used.get(r.key) ?? '') < r.lastUsed).length).toBeGreaterThanOrEqual(5);
    expect(steps(second.stderr).every((e) => e.status === 'cached')).toBe(true);
    expect(second.stderr.trim().split('\n').pop()).toMatch(/^\{"type":"result","digest":"sha256:[0-9a-f]{64}"/);
    // As with BuildKit, a rebuild served from cache is the same image: times come from the records.
    expect(resultDigest(second.stderr)).toBe(resultDigest(first.stderr));
  });

  it('a changed file reruns exactly the steps downstream of the COPY that selects it, and --explain names it', async () => {
    writeFileSync(path.join(ctx, 'app', 'main.txt'), 'main v2\n');
    const r = await build(['--explain']);
    expect(r.code, r.stderr).toBe(0);
    expect(ran(r.stderr)).toEqual([
      '[app 2/5] COPY app/ /app/',
      '[app 3/5] COPY --from=lib /lib/l.txt /lib/l.txt',
      '[app 4/5] COPY config.txt /etc/config.txt',
      '[app 5/5] COPY flavors/${FLAVOR}.txt /etc/flavor.txt',
    ]);
    expect(r.stderr).toContain('explain: [app 2/5] COPY app/ /app/');
    expect(r.stderr).toContain('  - file changed: app/main.txt (content)');
    expect(r.stderr).toMatch(/explain: \[app 3\/5\] COPY --from=lib \/lib\/l\.txt \/lib\/l\.txt[^\n]*\n {2}- parent step changed: \[app 2\/5\] COPY app\/ \/app\//);
  });

  it('COPY --from reruns only when the paths it selects change in the source stage', async () => {
    writeFileSync(path.join(ctx, 'lib', 'unused.txt'), 'unused v2\n');
    const r = await build(['--explain']);
    expect(r.code, r.stderr).toBe(0);
    expect(ran(r.stderr)).toEqual(['[lib 2/2] COPY lib/ /lib/']);
    writeFileSync(path.join(ctx, 'lib', 'l.txt'), 'lib v2\n');
    const r2 = await build(['--explain']);
    expect(ran(r2.stderr)).toEqual([
      '[lib 2/2] COPY lib/ /lib/',
      '[app 3/5] COPY --from=lib /lib/l.txt /lib/l.txt',
      '[app 4/5] COPY config.txt /etc/config.txt',
      '[app 5/5] COPY flavors/${FLAVOR}.txt /etc/flavor.txt',
    ]);
    expect(r2.stderr).toContain('  - file changed: lib:/lib/l.txt (content)');
  });

  it('--explain names a changed build arg', async () => {
    const r = await build(['--explain', '--build-arg', 'FLAVOR=spicy']);
    expect(r.code, r.stderr).toBe(0);
    expect(ran(r.stderr)).toEqual(['[app 5/5] COPY flavors/${FLAVOR}.txt /etc/flavor.txt']);
    expect(r.stderr).toContain('sources changed from ["flavors/plain.txt"] to ["flavors/spicy.txt"]');
    const files = /file (added|removed): flavors\/(spicy|plain)\.txt/g;
    expect(r.stderr.match(files)?.length).toBe(2);
  });

  it('a mode change misses, with the mode named', async () => {
    const { chmodSync } = await import('node:fs');
    chmodSync(path.join(ctx, 'config.txt'), 0o600);
    const r = await build(['--explain']);
    expect(ran(r.stderr)).toEqual(['[app 4/5] COPY config.txt /etc/config.txt', '[app 5/5] COPY flavors/${FLAVOR}.txt /etc/flavor.txt']);
    expect(r.stderr).toContain('  - file changed: config.txt (mode 644 → 600)');
  });

  it('--no-cache and --no-cache-filter', async () => {
    const all = await build(['--no-cache']);
    expect(ran(all.stderr).length).toBeGreaterThanOrEqual(5);
    const lib = await build(['--no-cache-filter', 'lib']);
    expect(ran(lib.stderr)).toContain('[lib 2/2] COPY lib/ /lib/');
    expect(ran(lib.stderr)).not.toContain('[app 2/5] COPY app/ /app/');
  });

  it('two builds of one Dockerfile at once on one store both succeed', async () => {
    ensureDist();
    writeFileSync(path.join(ctx, 'app', 'main.txt'), 'main v3\n');
    const a = spawnCli(['--root', root, 'build', '-t', 'same:a', '--progress', 'plain', '.'], { cwd: ctx });
    const b = spawnCli(['--root', root, 'build', '-t', 'same:b', '--progress', 'plain', '.'], { cwd: ctx });
    const [ca, cb] = await Promise.all([a.exited, b.exited]);
    expect(ca, a.stderr()).toBe(0);
    expect(cb, b.stderr()).toBe(0);
    const ls = await tsbuild(['--root', root, 'image', 'ls', '--format', 'json']);
    const names = (JSON.parse(ls.stdout) as Array<{ name: string }>).map((x) => x.name);
    expect(names).toEqual(expect.arrayContaining(['same:a', 'same:b']));
    const again = await build();
    expect(ran(again.stderr)).toEqual([]);
  });
});

describe.skipIf(!have('root', 'overlay', 'runc', 'busybox'))('parallel stages', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('two independent 2-second stages run at the same time', async () => {
    const ctx = path.join(t.dir, 'ctx');
    mkdirSync(ctx);
    copyFileSync(busyboxPath, path.join(ctx, 'busybox'));
    writeFileSync(
      path.join(ctx, 'Dockerfile'),
      `FROM scratch AS base
COPY busybox /bin/busybox
FROM base AS one
RUN ["/bin/busybox","sh","-c","/bin/busybox sleep 2; echo one > /one"]
FROM base AS two
RUN ["/bin/busybox","sh","-c","/bin/busybox sleep 2; echo two > /two"]
FROM base
COPY --from=one /one /one
COPY --from=two /two /two
`,
    );
    const r = await tsbuild(['--root', path.join(t.dir, 'store'), 'build', '--progress', 'json', '--jobs', '2', '.'], { cwd: ctx });
    expect(r.code, r.stderr).toBe(0);
    const ev = steps(r.stderr);
    const startedOne = ev.find((e) => e.name.startsWith('[one') && e.status === 'started');
    const startedTwo = ev.find((e) => e.name.startsWith('[two') && e.status === 'started');
    const firstDone = ev.find((e) => (e.name.startsWith('[one') || e.name.startsWith('[two')) && e.status === 'done');
    // Both sleeps started before either finished: they overlapped.
    expect(startedOne && startedTwo && firstDone).toBeTruthy();
    expect(Math.max(startedOne?.at ?? 0, startedTwo?.at ?? 0)).toBeLessThan(firstDone?.at ?? 0);
    const runs = ev.filter((e) => e.status === 'done' && /^\[(one|two)/.test(e.name)).map((e) => e.durationMs ?? 0);
    expect(runs.every((d) => d >= 2000)).toBe(true);
  });
});
