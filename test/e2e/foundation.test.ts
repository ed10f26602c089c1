// End to end: a two-stage build to an OCI tarball read by skopeo, umoci and podman; reproducible
// digests; bad input reported with a located code and the store left as it was.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxPath, have } from '../helpers/env.js';
import { storeFingerprint, tempDir, tsbuild } from '../helpers/cli.js';

const DOCKERFILE = `# two stages, everything but RUN
FROM scratch AS base
COPY busybox /bin/busybox
COPY data/ /data/

FROM scratch
COPY --from=base /bin/busybox /bin/busybox
COPY --from=base /data /srv/data
ENV APP_ENV=prod PATH=/bin
USER 1000:1000
WORKDIR /srv/app
LABEL team="core" version="1"
EXPOSE 8080 53/UDP 9000-9001
HEALTHCHECK --interval=10s --timeout=3s --retries=2 CMD ["/bin/busybox","true"]
ENTRYPOINT ["/bin/busybox"]
CMD ["sh","-c","echo hi"]
`;

function makeContext(dir: string): void {
  mkdirSync(path.join(dir, 'data', 'sub'), { recursive: true });
  copyFileSync(busyboxPath, path.join(dir, 'busybox'));
  writeFileSync(path.join(dir, 'data', 'a.txt'), 'alpha\n');
  writeFileSync(path.join(dir, 'data', 'sub', 'b.txt'), 'beta\n');
  writeFileSync(path.join(dir, 'Dockerfile'), DOCKERFILE);
}

function sh(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe.skipIf(!have('root', 'overlay', 'busybox'))('two-stage build to an OCI tarball', () => {
  const t = tempDir();
  const ctx = path.join(t.dir, 'ctx');
  const root = path.join(t.dir, 'store');
  const tar = path.join(t.dir, 'app.tar');
  let build: Awaited<ReturnType<typeof tsbuild>>;

  beforeAll(async () => {
    mkdirSync(ctx);
    makeContext(ctx);
    build = await tsbuild(['--root', root, 'build', '-t', 'app:1', '--output', `type=oci,dest=${tar}`, '--progress', 'plain', '.'], { cwd: ctx });
  });
  afterAll(() => t.cleanup());

  it('succeeds and writes the tarball', () => {
    expect(build.stderr).toContain('DONE');
    expect(build.code, build.stderr).toBe(0);
    expect(statSync(tar).size).toBeGreaterThan(1_000_000);
  });

  it('tags the image in the local store', async () => {
    const ls = await tsbuild(['--root', root, 'image', 'ls', '--format', 'json']);
    const rows = JSON.parse(ls.stdout) as Array<{ name: string }>;
    expect(rows.map((r) => r.name)).toContain('app:1');
  });

  it.skipIf(!have('skopeo'))('skopeo reads the expected config', () => {
    const cfg = JSON.parse(sh('skopeo', ['inspect', '--config', '--raw', `oci-archive:${tar}:1`])) as { config: Record<string, unknown>; rootfs: { diff_ids: string[] } };
    expect(cfg.config.Env).toEqual(['PATH=/bin', 'APP_ENV=prod']);
    expect(cfg.config.Entrypoint).toEqual(['/bin/busybox']);
    expect(cfg.config.Cmd).toEqual(['sh', '-c', 'echo hi']);
    expect(cfg.config.User).toBe('1000:1000');
    expect(cfg.config.WorkingDir).toBe('/srv/app');
    expect(cfg.config.Labels).toEqual({ team: 'core', version: '1' });
    expect(Object.keys(cfg.config.ExposedPorts as object).sort()).toEqual(['53/udp', '8080/tcp', '9000/tcp', '9001/tcp']);
    expect(cfg.config.Healthcheck).toEqual({ Test: ['CMD', '/bin/busybox', 'true'], Interval: 10e9, Timeout: 3e9, Retries: 2 });
    expect(cfg.rootfs.diff_ids).toHaveLength(3);
  });

  it.skipIf(!have('umoci'))('umoci unpacks the expected tree', () => {
    const layoutDir = path.join(t.dir, 'layout');
    mkdirSync(layoutDir);
    sh('tar', ['-xf', tar, '-C', layoutDir]);
    const bundle = path.join(t.dir, 'bundle');
    sh('umoci', ['unpack', '--image', `${layoutDir}:1`, bundle]);
    const rootfs = path.join(bundle, 'rootfs');
    expect(readFileSync(path.join(rootfs, 'bin/busybox')).equals(readFileSync(busyboxPath))).toBe(true);
    expect(readFileSync(path.join(rootfs, 'srv/data/a.txt'), 'utf8')).toBe('alpha\n');
    expect(readFileSync(path.join(rootfs, 'srv/data/sub/b.txt'), 'utf8')).toBe('beta\n');
    const app = statSync(path.join(rootfs, 'srv/app'));
    expect(app.isDirectory()).toBe(true);
    // WORKDIR creates its directory owned by the current USER.
    expect([app.uid, app.gid]).toEqual([1000, 1000]);
    const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')) as { process: { args: string[]; cwd: string } };
    expect(spec.process.args).toEqual(['/bin/busybox', 'sh', '-c', 'echo hi']);
    expect(spec.process.cwd).toBe('/srv/app');
  });

  it.skipIf(!have('podman'))('podman loads it with the expected config', () => {
    const p = path.join(t.dir, 'podman');
    const base = ['--root', `${p}/root`, '--runroot', `${p}/run`, '--storage-driver', 'vfs', '--events-backend', 'none', '--cgroup-manager', 'cgroupfs'];
    const out = sh('podman', [...base, 'load', '-i', tar]);
    expect(out).toMatch(/Loaded image/);
    const inspect = JSON.parse(sh('podman', [...base, 'image', 'inspect', 'app:1'])) as Array<{ Config: { Entrypoint: string[]; Env: string[] } }>;
    expect(inspect[0]?.Config.Entrypoint).toEqual(['/bin/busybox']);
    expect(inspect[0]?.Config.Env).toContain('APP_ENV=prod');
  });
});

describe.skipIf(!have('root', 'overlay', 'busybox'))('reproducible builds', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('gives the same manifest digest with SOURCE_DATE_EPOCH=0 in two store roots and two checkouts', async () => {
    const digests: string[] = [];
    for (const n of [1, 2]) {
      const ctx = path.join(t.dir, `ctx${n}`);
      mkdirSync(ctx);
      makeContext(ctx);
      // Different mtimes per checkout: clamped to the epoch, they must not matter.
      utimesSync(path.join(ctx, 'data', 'a.txt'), 1_000_000 * n, 1_000_000 * n);
      const meta = path.join(t.dir, `meta${n}.json`);
      const r = await tsbuild(['--root', path.join(t.dir, `store${n}`), 'build', '--metadata-file', meta, '--progress', 'quiet', '.'], { cwd: ctx, env: { SOURCE_DATE_EPOCH: '0' } });
      expect(r.code, r.stderr).toBe(0);
      const m = JSON.parse(readFileSync(meta, 'utf8')) as Record<string, string>;
      expect(m['containerimage.digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(r.stdout.trim()).toBe(m['containerimage.config.digest']);
      digests.push(m['containerimage.digest'] ?? '');
    }
    expect(digests[0]).toBe(digests[1]);
  });
});

describe.skipIf(!have('root', 'overlay', 'busybox'))('bad input', () => {
  const t = tempDir();
  const root = path.join(t.dir, 'store');
  const ctx = path.join(t.dir, 'ctx');
  let before: string[];

  beforeAll(async () => {
    mkdirSync(ctx);
    makeContext(ctx);
    const ok = await tsbuild(['--root', root, 'build', '-t', 'good:1', '--progress', 'quiet', '.'], { cwd: ctx });
    expect(ok.code, ok.stderr).toBe(0);
    before = storeFingerprint(root);
    expect(before.length).toBeGreaterThan(5);
  });
  afterAll(() => t.cleanup());

  async function failing(dockerfile: string, extra: string[] = []): Promise<{ code: number; stderr: string }> {
    const file = path.join(t.dir, `Dockerfile.${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, dockerfile);
    const r = await tsbuild(['--root', root, 'build', '-f', file, '-t', 'bad:1', '--progress', 'plain', ...extra, '.'], { cwd: ctx });
    expect(r.code).not.toBe(0);
    expect(storeFingerprint(root)).toEqual(before);
    return { code: r.code, stderr: r.stderr.replaceAll(file, 'Dockerfile') };
  }

  it('syntax error: located, with a code', async () => {
    const r = await failing('FROM scratch\nCOPY --nope a /b\n');
    expect(r.stderr).toMatch(/Dockerfile:2:\d+: error TSB1003: .*--nope/);
  });

  it('missing COPY source: located, names the file', async () => {
    const r = await failing('FROM scratch\nCOPY missing.txt /x\n');
    expect(r.stderr).toMatch(/Dockerfile:2:1: error TSB2101: .*missing\.txt/);
  });

  it('unknown target stage', async () => {
    const r = await failing('FROM scratch AS a\nCOPY busybox /b\n', ['--target', 'nope']);
    expect(r.stderr).toMatch(/error TSB2001: .*nope/);
  });

  it('unknown stage or image in COPY --from: located', async () => {
    const r = await failing('FROM scratch\nCOPY --from=nostage /a /b\n');
    expect(r.stderr).toMatch(/Dockerfile:2:1: error TSB2001: "nostage" is neither a stage/);
  });

  it('a source escaping the context with ../', async () => {
    const r = await failing('FROM scratch\nCOPY ../../etc/passwd /x\n');
    expect(r.stderr).toMatch(/Dockerfile:2:1: error TSB2102: .*\.\.\/\.\.\/etc\/passwd/);
  });

  it('a RUN step that cannot run fails with a located error', async () => {
    const r = await failing('FROM scratch\nRUN ["/bin/true"]\n');
    expect(r.stderr).toMatch(/Dockerfile:2:1: error TSB\d{4}/);
  });

  it('a bad flag exits with usage status 2', async () => {
    const r = await tsbuild(['--root', root, 'build', '--compression', 'lzma', '.'], { cwd: ctx });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error TSB9001: .*--compression/);
    const r2 = await tsbuild(['--root', root, 'build', '--bogus', '.'], { cwd: ctx });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/unknown option '--bogus'/);
    expect(storeFingerprint(root)).toEqual(before);
  });

  it('a corrupt tarball given to image load', async () => {
    const good = path.join(t.dir, 'good.tar');
    const save = await tsbuild(['--root', root, 'image', 'save', '-o', good, 'good:1']);
    expect(save.code, save.stderr).toBe(0);
    const bytes = readFileSync(good);
    // Flip bytes in the middle of the archive (inside a layer blob) and cut the tail.
    const bad = Buffer.from(bytes.subarray(0, Math.floor(bytes.length * 0.8)));
    for (let i = 0; i < 64; i++) bad[Math.floor(bad.length / 2) + i] = (bad[Math.floor(bad.length / 2) + i] ?? 0) ^ 0xff;
    const badFile = path.join(t.dir, 'bad.tar');
    writeFileSync(badFile, bad);
    const r = await tsbuild(['--root', root, 'image', 'load', '-i', badFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error TSB4\d{3}: .*bad\.tar|error TSB4\d{3}/);
    expect(storeFingerprint(root)).toEqual(before);
    const random = path.join(t.dir, 'random.tar');
    writeFileSync(random, Buffer.from('this is not an archive at all'.repeat(100)));
    const r2 = await tsbuild(['--root', root, 'image', 'load', '-i', random]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/error TSB4101: .*random\.tar/);
    expect(storeFingerprint(root)).toEqual(before);
  });
});
