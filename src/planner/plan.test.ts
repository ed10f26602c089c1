// Planner tests with a fake image resolver: ARG scoping, stages, config, history, ONBUILD.
import { describe, expect, it } from 'vitest';
import { TsbuildError, type Digest } from '../core/index.js';
import type { CopyAction, ExecOp, Vertex } from '../graph/index.js';
import { parseDockerfile } from '../parser/index.js';
import { plan } from './plan.js';
import type { ImageConfigFile, PlanOptions, ResolvedImage } from './types.js';

const BASE_DIGEST = `sha256:${'a'.repeat(64)}` as Digest;

function baseImage(config: Partial<ImageConfigFile['config']> = {}): ResolvedImage {
  return {
    ref: 'docker.io/library/base:1',
    manifest: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: BASE_DIGEST, size: 10 },
    config: { architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/usr/bin', 'FROM_BASE=1'], Cmd: ['base-cmd'], ...config }, rootfs: { type: 'layers', diff_ids: [] } },
    origin: { kind: 'store' },
  };
}

async function planText(text: string, o: Partial<PlanOptions> = {}, images: Record<string, ResolvedImage> = {}) {
  const { dockerfile } = parseDockerfile(text, 'Dockerfile');
  return plan(dockerfile, {
    buildArgs: {}, platform: { os: 'linux', architecture: 'amd64' }, buildPlatform: { os: 'linux', architecture: 'amd64' },
    labels: {}, buildContexts: {}, created: '2000-01-01T00:00:00Z',
    images: { resolve: async (ref) => images[ref] },
    ...o,
  });
}

function chain(v: Vertex): Vertex[] {
  const out: Vertex[] = [];
  for (let cur: Vertex | undefined = v; cur; cur = cur.inputs[0]) out.unshift(cur);
  return out;
}

describe('ARG scoping', () => {
  it('global ARGs are visible to FROM only, unless re-declared in the stage', async () => {
    const p = await planText('ARG V=1\nARG IMG=base:1\nFROM ${IMG}\nENV A=${V}\nARG V\nENV B=${V}\n', {}, { 'base:1': baseImage() });
    expect(p.target.image.config.Env).toContain('A=');
    expect(p.target.image.config.Env).toContain('B=1');
  });

  it('--build-arg overrides defaults, ENV wins over ARG, undeclared build args warn', async () => {
    const p = await planText('FROM scratch\nARG X=default\nARG Y=y\nENV Y=env\nENV OUT=${X}-${Y}\n', { buildArgs: { X: 'cli', UNUSED: '1' } });
    expect(p.target.image.config.Env).toContain('OUT=cli-env');
    expect(p.warnings.map((w) => w.message).join('\n')).toMatch(/UNUSED/);
  });

  it('automatic platform ARGs exist globally and inside stages once declared', async () => {
    const p = await planText('FROM scratch\nENV BEFORE=${TARGETARCH}\nARG TARGETARCH\nARG BUILDPLATFORM\nENV AFTER=${TARGETARCH} BP=${BUILDPLATFORM}\n', { platform: { os: 'linux', architecture: 'arm64' } });
    expect(p.target.image.config.Env).toEqual(expect.arrayContaining(['BEFORE=', 'AFTER=arm64', 'BP=linux/amd64']));
  });

  it('RUN sees stage ARGs as environment, but the image does not keep them', async () => {
    const p = await planText('FROM scratch\nARG TOKEN=abc\nRUN echo $TOKEN\n', { buildArgs: { HTTP_PROXY: 'http://proxy' } });
    const run = p.target.root.op as ExecOp;
    expect(run.env).toContain('TOKEN=abc');
    // Proxy args reach the command but not the op digest.
    expect(run.env.some((e) => e.startsWith('HTTP_PROXY'))).toBe(false);
    expect(p.target.root.meta.extraEnv).toEqual(['HTTP_PROXY=http://proxy']);
    expect(p.target.image.config.Env?.some((e) => e.startsWith('TOKEN'))).toBe(false);
    expect(p.warnings).toEqual([]);
    const hist = p.target.history.map((h) => h.entry.created_by);
    expect(hist).toContain('RUN |1 TOKEN=abc /bin/sh -c echo $TOKEN');
  });
});

describe('stages', () => {
  const text = 'FROM scratch AS a\nCOPY a /a\nFROM scratch AS b\nCOPY b /b\nFROM scratch AS c\nCOPY --from=a /a /a\n';

  it('stages unreachable from the target are not planned', async () => {
    const p = await planText(text);
    expect(p.stages.map((s) => s.name)).toEqual(['a', 'c']);
    const copy = p.target.root.op;
    expect(copy.type === 'file' && (copy.action as CopyAction).from).toEqual({ type: 'input', index: 1 });
    expect(p.target.root.inputs[1]?.meta.stage).toBe('a');
  });

  it('--target picks a stage by name; index references work', async () => {
    const p = await planText(`${text}FROM scratch\nCOPY --from=1 /b /b\n`, { target: 'b' });
    expect(p.target.name).toBe('b');
    expect(p.stages.map((s) => s.name)).toEqual(['b']);
    const q = await planText(`${text}FROM scratch\nCOPY --from=1 /b /b\n`);
    expect(q.stages.map((s) => s.name)).toEqual(['b', '3']);
  });

  it('unknown target and circular references are reported with codes', async () => {
    await expect(planText(text, { target: 'zzz' })).rejects.toMatchObject({ code: 'TSB2001' });
    const cyc = planText('FROM scratch AS a\nCOPY --from=b /x /x\nFROM scratch AS b\nCOPY --from=a /y /y\n');
    await expect(cyc).rejects.toBeInstanceOf(TsbuildError);
    await expect(cyc).rejects.toMatchObject({ code: 'TSB2002', location: { line: 2 } });
  });

  it('FROM another stage continues its filesystem, config and history', async () => {
    const p = await planText('FROM scratch AS a\nENV A=1\nCOPY a /a\nFROM a\nENV B=2\nCOPY b /b\n');
    expect(p.target.image.config.Env).toEqual(expect.arrayContaining(['A=1', 'B=2']));
    expect(p.target.layerVertices).toHaveLength(2);
    expect(chain(p.target.root).map((v) => v.op.type)).toEqual(['source', 'file', 'file']);
  });

  it('identical steps in different stages share one vertex', async () => {
    const p = await planText('FROM scratch AS a\nCOPY x /x\nFROM scratch AS b\nCOPY x /x\nFROM scratch\nCOPY --from=a /x /a\nCOPY --from=b /x /b\n');
    const inputs = [p.target.root.inputs[1], p.target.root.inputs[0]?.inputs[1]];
    expect(inputs[0]?.digest).toBe(inputs[1]?.digest);
  });
});

describe('image config', () => {
  it('inherits the base config; ENTRYPOINT resets an inherited CMD but not one set in the stage', async () => {
    const imgs = { 'base:1': baseImage() };
    const a = await planText('FROM base:1\nENTRYPOINT ["/e"]\n', {}, imgs);
    expect(a.target.image.config.Cmd).toBeNull();
    expect(a.target.image.config.Env).toContain('FROM_BASE=1');
    const b = await planText('FROM base:1\nCMD ["c"]\nENTRYPOINT ["/e"]\n', {}, imgs);
    expect(b.target.image.config.Cmd).toEqual(['c']);
    const c = await planText('FROM base:1\nSHELL ["/bin/bash","-c"]\nCMD echo hi\n', {}, imgs);
    expect(c.target.image.config.Cmd).toEqual(['/bin/bash', '-c', 'echo hi']);
  });

  it('EXPOSE ranges and protocols, VOLUME, USER, WORKDIR, STOPSIGNAL, LABEL, MAINTAINER, HEALTHCHECK', async () => {
    const p = await planText(
      'FROM scratch\nEXPOSE 80 53/UDP 7000-7002/tcp\nVOLUME ["/data", "/logs"]\nUSER app\nWORKDIR /srv\nWORKDIR x/../y/\nSTOPSIGNAL SIGKILL\nLABEL a=1 "b c"=2\nMAINTAINER me\nHEALTHCHECK --interval=5s --retries=3 CMD curl -f http://x\n',
      { labels: { extra: 'yes' } },
    );
    const c = p.target.image.config;
    expect(Object.keys(c.ExposedPorts ?? {}).sort()).toEqual(['53/udp', '7000/tcp', '7001/tcp', '7002/tcp', '80/tcp']);
    expect(Object.keys(c.Volumes ?? {})).toEqual(['/data', '/logs']);
    expect(c.User).toBe('app');
    expect(c.WorkingDir).toBe('/srv/y');
    expect(c.StopSignal).toBe('SIGKILL');
    expect(c.Labels).toEqual({ a: '1', 'b c': '2', extra: 'yes' });
    expect(p.target.image.author).toBe('me');
    expect(c.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'curl -f http://x'], Interval: 5e9, Retries: 3 });
    const mk = p.target.layerVertices.map((v) => v.op);
    expect(mk).toEqual([
      { type: 'file', action: { kind: 'mkdir', path: '/srv', owner: 'app' } },
      { type: 'file', action: { kind: 'mkdir', path: '/srv/y', owner: 'app' } },
    ]);
  });

  it('rejects bad EXPOSE and STOPSIGNAL values with locations', async () => {
    await expect(planText('FROM scratch\nEXPOSE 80/xyz\n')).rejects.toMatchObject({ code: 'TSB2008', location: { line: 2 } });
    await expect(planText('FROM scratch\nSTOPSIGNAL SIGNOPE\n')).rejects.toMatchObject({ code: 'TSB2008', location: { line: 2 } });
  });

  it('history: one entry per instruction, layer steps linked to their vertex', async () => {
    const p = await planText('FROM scratch\nENV A=1\nCOPY a /a\nCMD ["x"]\n');
    expect(p.target.history.map((h) => [h.entry.created_by, h.entry.empty_layer ?? false, Boolean(h.vertex)])).toEqual([
      ['ENV A=1', true, false],
      ['COPY a /a', false, true],
      ['CMD ["x"]', true, false],
    ]);
    expect(p.target.history.every((h) => h.entry.created === '2000-01-01T00:00:00Z')).toBe(true);
  });

  it('runs ONBUILD triggers of the base image right after FROM', async () => {
    const img = baseImage({ OnBuild: ['COPY trigger.txt /t', 'ENV TRIGGERED=yes'] });
    const p = await planText('FROM base:1\nENV AFTER=1\n', {}, { 'base:1': img });
    expect(p.target.image.config.Env).toEqual(expect.arrayContaining(['TRIGGERED=yes', 'AFTER=1']));
    expect(p.target.image.config.OnBuild).toBeNull();
    const copy = p.target.layerVertices[0]?.op;
    expect(copy?.type === 'file' && (copy.action as CopyAction).sources).toEqual(['trigger.txt']);
  });

  it('a missing base image is a located error', async () => {
    await expect(planText('FROM scratch\nFROM nothere:1\n')).rejects.toMatchObject({ code: 'TSB2005', location: { line: 2 } });
  });
});

describe('not supported yet, clearly', () => {
  it('ADD of a URL or git repository, RUN --mount=type=ssh: located TSB2009', async () => {
    await expect(planText('FROM scratch\nADD https://example.com/x.tgz /x\n')).rejects.toMatchObject({ code: 'TSB2009', location: { line: 2 } });
    await expect(planText('FROM scratch\nADD git@github.com:a/b.git /src\n')).rejects.toMatchObject({ code: 'TSB2009', location: { line: 2 } });
    await expect(planText('FROM scratch\nRUN --mount=type=ssh true\n')).rejects.toMatchObject({ code: 'TSB2009', location: { line: 2 } });
  });

  it('RUN --mount options are validated', async () => {
    await expect(planText('FROM scratch\nRUN --mount=type=cache true\n')).rejects.toMatchObject({ code: 'TSB3004', location: { line: 2 } });
    await expect(planText('FROM scratch\nRUN --mount=type=cache,target=/c,sharing=wild true\n')).rejects.toMatchObject({ code: 'TSB3004' });
    await expect(planText('FROM scratch\nRUN --mount=type=bind,target=/c,bogus=1 true\n')).rejects.toMatchObject({ code: 'TSB3004' });
    const p = await planText('FROM scratch\nWORKDIR /w\nRUN --mount=type=secret,id=tok --mount=type=tmpfs,target=t,size=64m --mount=type=cache,target=/c,id=x,sharing=locked,mode=0700,uid=5 true\n');
    expect((p.target.root.op as ExecOp).mounts).toEqual([
      { type: 'secret', target: '/run/secrets/tok', id: 'tok', required: false, mode: 0o400, uid: 0, gid: 0 },
      { type: 'tmpfs', target: '/w/t', size: 64 * 1024 * 1024 },
      { type: 'cache', target: '/c', id: 'x', sharing: 'locked', source: '/', mode: 0o700, uid: 5, gid: 0, readonly: false },
    ]);
  });
});
