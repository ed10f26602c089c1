// Every output type and the ways to start from an existing image without a registry: local tags
// and digests, `image load` of each archive format, named build contexts, stdin contexts.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentStore, RefStore } from '../../src/content/index.js';
import { validateImage } from '../../src/image/index.js';
import { busyboxPath, have } from '../helpers/env.js';
import { tempDir, tsbuild } from '../helpers/cli.js';

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) });
}

describe.skipIf(!have('root', 'overlay', 'busybox'))('outputs and base images', () => {
  const t = tempDir();
  const ctx = path.join(t.dir, 'ctx');
  const root = path.join(t.dir, 'store');
  const run = (args: string[], cwd = ctx) => tsbuild(['--root', root, ...args], { cwd });

  beforeAll(async () => {
    mkdirSync(ctx);
    copyFileSync(busyboxPath, path.join(ctx, 'busybox'));
    writeFileSync(path.join(ctx, 'hello.txt'), 'hello\n');
    writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY hello.txt /srv/hello.txt\nENV BASE=1\nONBUILD ENV TRIGGERED=yes\nCMD ["/bin/busybox","cat","/srv/hello.txt"]\n');
    const r = await run(['build', '-t', 'base:1', '--progress', 'quiet', '--iidfile', path.join(t.dir, 'iid'), '.']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(t.dir, 'iid'), 'utf8')).toBe(r.stdout.trim());
  });
  afterAll(() => t.cleanup());

  it('type=oci,tar=false writes a layout directory skopeo reads', async () => {
    const dir = path.join(t.dir, 'layout');
    const r = await run(['build', '-t', 'base:1', '--output', `type=oci,dest=${dir},tar=false`, '--progress', 'quiet', '.']);
    expect(r.code, r.stderr).toBe(0);
    if (have('skopeo')) {
      const inspect = JSON.parse(sh('skopeo', ['inspect', `oci:${dir}:1`])) as { Layers: string[] };
      expect(inspect.Layers).toHaveLength(2);
    }
    expect(JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')).manifests[0].annotations['org.opencontainers.image.ref.name']).toBe('1');
  });

  it('type=docker writes an archive that podman loads', async () => {
    const file = path.join(t.dir, 'docker.tar');
    const r = await run(['build', '-t', 'base:1', '--output', `type=docker,dest=${file}`, '--progress', 'quiet', '.']);
    expect(r.code, r.stderr).toBe(0);
    const names = sh('tar', ['-tf', file]).split('\n');
    expect(names).toContain('manifest.json');
    if (have('podman')) {
      const p = path.join(t.dir, 'podman');
      const base = ['--root', `${p}/root`, '--runroot', `${p}/run`, '--storage-driver', 'vfs', '--events-backend', 'none', '--cgroup-manager', 'cgroupfs'];
      expect(sh('podman', [...base, 'load', '-i', file])).toMatch(/base:1/);
    }
  });

  it('type=local and the -o DIR shorthand write the filesystem; type=tar writes it as a tar', async () => {
    const dir = path.join(t.dir, 'local');
    const r = await run(['build', '-o', dir, '--progress', 'quiet', '.']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'srv', 'hello.txt'), 'utf8')).toBe('hello\n');
    const tarFile = path.join(t.dir, 'fs.tar');
    const r2 = await run(['build', '--output', `type=tar,dest=${tarFile}`, '--progress', 'quiet', '.']);
    expect(r2.code, r2.stderr).toBe(0);
    expect(sh('tar', ['-tf', tarFile]).split('\n')).toEqual(expect.arrayContaining(['bin/', 'bin/busybox', 'srv/', 'srv/hello.txt']));
  });

  it('--compression zstd and none give valid images with matching media types', async () => {
    for (const [algo, suffix] of [['zstd', '+zstd'], ['none', '']] as const) {
      const r = await run(['build', '-t', `comp:${algo}`, '--compression', algo, '--no-cache', '--progress', 'quiet', '.']);
      expect(r.code, r.stderr).toBe(0);
      const desc = await new RefStore(path.join(root, 'refs')).get(`docker.io/library/comp:${algo}`);
      expect(desc).toBeDefined();
      if (!desc) continue;
      const content = new ContentStore(root);
      await validateImage(content, desc);
      const m = await content.readJson<{ layers: Array<{ mediaType: string }> }>(desc.digest);
      expect(m.layers.map((l) => l.mediaType)).toEqual(Array(2).fill(`application/vnd.oci.image.layer.v1.tar${suffix}`));
    }
  });

  it('FROM a local tag and a local digest; ONBUILD triggers run', async () => {
    const down = path.join(t.dir, 'down');
    mkdirSync(down);
    const inspect = JSON.parse((await run(['image', 'inspect', 'base:1'])).stdout) as { descriptor: { digest: string } };
    for (const from of ['base:1', `base@${inspect.descriptor.digest}`]) {
      writeFileSync(path.join(down, 'Dockerfile'), `FROM ${from}\nENV CHILD=1\n`);
      const r = await run(['build', '-t', 'child:1', '--progress', 'quiet', '.'], down);
      expect(r.code, r.stderr).toBe(0);
      const child = JSON.parse((await run(['image', 'inspect', 'child:1'])).stdout) as { config: { config: { Env: string[] } } };
      expect(child.config.config.Env).toEqual(expect.arrayContaining(['BASE=1', 'CHILD=1', 'TRIGGERED=yes']));
    }
  });

  it('image save/load round trips (OCI tar, docker archive, layout dir) into a fresh store', async () => {
    const oci = path.join(t.dir, 'save-oci.tar');
    const docker = path.join(t.dir, 'save-docker.tar');
    expect((await run(['image', 'save', '-o', oci, 'base:1'])).code).toBe(0);
    expect((await run(['image', 'save', '--format', 'docker', '-o', docker, 'base:1'])).code).toBe(0);
    const layoutDir = path.join(t.dir, 'layout');
    for (const [i, input] of [oci, docker, layoutDir].entries()) {
      const other = path.join(t.dir, `other${i}`);
      const load = await tsbuild(['--root', other, 'image', 'load', '-i', input]);
      expect(load.code, load.stderr).toBe(0);
      expect(load.stdout).toContain('Loaded image: base:1');
      const down = path.join(t.dir, `down${i}`);
      mkdirSync(down);
      writeFileSync(path.join(down, 'Dockerfile'), 'FROM base:1\nCOPY --from=base:1 /srv/hello.txt /copied.txt\n');
      const r = await tsbuild(['--root', other, 'build', '-o', path.join(t.dir, `out${i}`), '--progress', 'quiet', '.'], { cwd: down });
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(path.join(t.dir, `out${i}`, 'copied.txt'), 'utf8')).toBe('hello\n');
    }
  });

  it('--build-context NAME=oci-layout://DIR:TAG and NAME=DIR', async () => {
    const layoutDir = path.join(t.dir, 'layout');
    const extra = path.join(t.dir, 'extra');
    mkdirSync(extra);
    writeFileSync(path.join(extra, 'e.txt'), 'extra\n');
    const down = path.join(t.dir, 'bc');
    mkdirSync(down);
    writeFileSync(path.join(down, 'Dockerfile'), 'FROM mybase\nCOPY --from=files e.txt /e.txt\n');
    const fresh = path.join(t.dir, 'bcstore');
    const r = await tsbuild(['--root', fresh, 'build', '--build-context', `mybase=oci-layout://${layoutDir}:1`, '--build-context', `files=${extra}`, '-o', path.join(t.dir, 'bcout'), '--progress', 'quiet', '.'], { cwd: down });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(t.dir, 'bcout', 'e.txt'), 'utf8')).toBe('extra\n');
    expect(existsSync(path.join(t.dir, 'bcout', 'bin', 'busybox'))).toBe(true);
  });

  it('context from stdin: a lone Dockerfile, or a tar of the context', async () => {
    const lone = await tsbuild(['--root', root, 'build', '-o', path.join(t.dir, 'stdin1'), '--progress', 'quiet', '-'], { cwd: t.dir, stdin: 'FROM base:1\nENV FROM_STDIN=1\n' });
    expect(lone.code, lone.stderr).toBe(0);
    const tarred = execFileSync('tar', ['-C', ctx, '-cf', '-', '.'], { maxBuffer: 64 << 20 });
    const { Readable } = await import('node:stream');
    const r = await tsbuild(['--root', root, 'build', '-o', path.join(t.dir, 'stdin2'), '--progress', 'quiet', '-'], { cwd: t.dir, stdin: Readable.from([tarred]) });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(path.join(t.dir, 'stdin2', 'srv'))).toEqual(['hello.txt']);
  });

  it('image tag, ls, rm', async () => {
    expect((await run(['image', 'tag', 'base:1', 'example.com/team/base:2'])).code).toBe(0);
    const ls = JSON.parse((await run(['image', 'ls', '--format', 'json'])).stdout) as Array<{ name: string; digest: string }>;
    const a = ls.find((x) => x.name === 'base:1');
    const b = ls.find((x) => x.name === 'example.com/team/base:2');
    expect(a?.digest).toBe(b?.digest);
    expect((await run(['image', 'rm', 'example.com/team/base:2'])).code).toBe(0);
    const missing = await run(['image', 'inspect', 'example.com/team/base:2']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/error TSB4003/);
  });
});

describe('tsbuild parse', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('prints the raw tree as JSON, before expansion', async () => {
    const file = path.join(t.dir, 'Dockerfile');
    writeFileSync(file, 'FROM scratch AS a\nENV A=1 B="two words"\nCOPY --from=a --chmod=644 <<EOF /x\nhi $A\nEOF\nONBUILD RUN echo $A\n');
    const r = await tsbuild(['parse', '--json', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    const nodes = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(nodes.map((n) => n.instruction)).toEqual(['from', 'env', 'copy', 'onbuild']);
    expect(nodes[1]).toMatchObject({ args: ['A', '1', '=', 'B', '"two words"', '='], startLine: 2, endLine: 2 });
    expect(nodes[2]).toMatchObject({ flags: ['--from=a', '--chmod=644'], heredocs: [{ name: 'EOF', content: 'hi $A\n', chomp: false, expand: true }], startLine: 3, endLine: 5 });
    expect(nodes[3]).toMatchObject({ child: { instruction: 'run' } });
  });

  it('exits non-zero with a located error on a parse error', async () => {
    const file = path.join(t.dir, 'Bad');
    writeFileSync(file, 'FROM scratch\nENV PATH\n');
    const r = await tsbuild(['parse', file], { cwd: t.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Bad:2:\d+: error TSB1\d{3}: /);
  });
});
