// RUN end to end: busybox userland, whiteouts in exported layers, isolation, failure reports,
// USER/WORKDIR/ENV/ARG/SHELL/heredocs and the insecure entitlement.
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxPath, have } from '../helpers/env.js';
import { storeFingerprint, tempDir, tsbuild } from '../helpers/cli.js';
import { BASE, build, busyboxContext, layerEntries, listTree, outputLines, printed, readOciTar, sh } from './run.helpers.js';

const ok = have('root', 'overlay', 'runc', 'busybox');

const WHITEOUTS = `${BASE}RUN echo hi > /greeting && mkdir -p /d/e /x/old && touch /d/e/f /x/old/g /x/h
RUN echo "computed-$((6*7))"
RUN rm /greeting && rm -rf /d && rm -rf /x && mkdir /x && touch /x/new
`;

async function imageNames(root: string): Promise<string[]> {
  const ls = await tsbuild(['--root', root, 'image', 'ls', '--format', 'json']);
  return (JSON.parse(ls.stdout || '[]') as Array<{ name: string }>).map((r) => r.name);
}

describe.skipIf(!ok)('RUN on a busybox image, whiteouts in the exported layers', () => {
  const t = tempDir('tsb-run-');
  const ctx = busyboxContext(path.join(t.dir, 'ctx'), WHITEOUTS);
  // busybox --install -s DIR links every applet it knows as DIR/NAME → /bin/busybox
  const applets = sh(busyboxPath, ['--list']).split('\n').filter((a) => a && a !== 'busybox');
  const expectedTree = ['bin', 'bin/busybox', ...applets.map((a) => `bin/${a}`), 'x', 'x/new'].sort();
  afterAll(() => t.cleanup());

  for (const snapshotter of ['overlay', 'native'] as const) {
    describe(`--snapshotter ${snapshotter}`, () => {
      const root = path.join(t.dir, `store-${snapshotter}`);
      const tar = path.join(t.dir, `${snapshotter}.tar`);
      let r: Awaited<ReturnType<typeof build>>;

      beforeAll(async () => {
        r = await build(root, ctx, ['--snapshotter', snapshotter, '-t', 'wh:1', '--output', `type=oci,dest=${tar}`], { SOURCE_DATE_EPOCH: '0' });
      });

      it('builds, and RUN output appears in the plain progress', () => {
        expect(r.code, r.stderr).toBe(0);
        expect(outputLines(r.stderr)).toContain('computed-42');
        expect(r.stderr).toMatch(/\[4\/6\] RUN echo hi > \/greeting/);
      });

      it('writes BuildKit-style whiteouts into the last layer', () => {
        const img = readOciTar(tar, path.join(t.dir, `layout-${snapshotter}`));
        // busybox COPY, --install, the creating RUN, the deleting RUN (the echo step changes nothing)
        expect(img.manifest.layers).toHaveLength(4);
        // BuildKit never writes opaque markers: a directory removed and recreated in one step gets
        // a whiteout for each old entry that is gone, next to the new content.
        expect(layerEntries(img, -1)).toEqual(['.wh.d', '.wh.greeting', 'x/', 'x/.wh.h', 'x/.wh.old', 'x/new']);
      });

      it.skipIf(!have('umoci'))('umoci unpacks exactly the expected tree', () => {
        const layout = path.join(t.dir, `layout-${snapshotter}`);
        const bundle = path.join(t.dir, `bundle-${snapshotter}`);
        sh('umoci', ['unpack', '--image', `${layout}:1`, bundle]);
        const rootfs = path.join(bundle, 'rootfs');
        expect(listTree(rootfs)).toEqual(expectedTree);
        expect(readlinkSync(path.join(rootfs, 'bin/sh'))).toBe('/bin/busybox');
      });
    });
  }

  it('both snapshotters give identical layers (SOURCE_DATE_EPOCH=0)', () => {
    const a = readOciTar(path.join(t.dir, 'overlay.tar'), path.join(t.dir, 'cmp-overlay'));
    const b = readOciTar(path.join(t.dir, 'native.tar'), path.join(t.dir, 'cmp-native'));
    for (let i = 0; i < a.manifest.layers.length; i++) expect(layerEntries(a, i)).toEqual(layerEntries(b, i));
    expect(a.config.rootfs.diff_ids).toEqual(b.config.rootfs.diff_ids);
  });
});

describe.skipIf(!ok)('RUN isolation', () => {
  const t = tempDir('tsb-run-iso-');
  const root = path.join(t.dir, 'store');
  afterAll(() => t.cleanup());

  it('--network=none sees only lo; the default network is the host one; a RUN sees only its own processes', async () => {
    const ctx = busyboxContext(path.join(t.dir, 'ctx'), `${BASE}RUN --network=none echo "none=$(ls /sys/class/net | tr '\\n' ' ')"
RUN echo "host=$(ls /sys/class/net | tr '\\n' ' ')"
RUN set -- /proc/[0-9]*; echo "pids=$*"; echo "init=$(tr '\\0' ' ' < /proc/1/cmdline)"; echo "host=$(hostname)"
`);
    const r = await build(root, ctx);
    expect(r.code, r.stderr).toBe(0);
    expect(printed(r.stderr, 'none')?.trim()).toBe('lo');
    const hostNet = readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0]?.trim()).filter(Boolean).sort();
    expect(printed(r.stderr, 'host')?.trim().split(' ').sort()).toEqual(hostNet);
    // the glob runs inside the shell, so pid 1 (the shell itself) is the only process
    expect(printed(r.stderr, 'pids')).toBe('/proc/1');
    expect(printed(r.stderr, 'init')).toMatch(/^\/bin\/sh -c set -- /);
  });
});

describe.skipIf(!ok)('layers of RUN steps', () => {
  const t = tempDir('tsb-run-layers-');
  afterAll(() => t.cleanup());

  for (const snapshotter of ['overlay', 'native'] as const) {
    it(`hold only what the command changed, not mount stubs or their parents (${snapshotter})`, async () => {
      // /etc exists but lacks hosts, resolv.conf and hostname: runc's mount points for them come
      // and go inside it, which touches its mtime but is no change
      const ctx = busyboxContext(path.join(t.dir, `ctx-${snapshotter}`), `${BASE}RUN mkdir -p /etc && echo x > /etc/foo
RUN true
RUN echo hi > /hi
`);
      const tar = path.join(t.dir, `${snapshotter}.tar`);
      const r = await build(path.join(t.dir, `store-${snapshotter}`), ctx, ['--snapshotter', snapshotter, '--output', `type=oci,dest=${tar}`]);
      expect(r.code, r.stderr).toBe(0);
      const img = readOciTar(tar, path.join(t.dir, `layout-${snapshotter}`));
      expect(img.manifest.layers).toHaveLength(4);
      expect(layerEntries(img, 2)).toEqual(['etc/', 'etc/foo']);
      expect(layerEntries(img, 3)).toEqual(['hi']);
    });
  }
});

describe.skipIf(!ok)('a failing RUN', () => {
  const t = tempDir('tsb-run-fail-');
  const root = path.join(t.dir, 'store');
  const ctx = busyboxContext(path.join(t.dir, 'ctx'), BASE);
  let before: string[];

  beforeAll(async () => {
    const base = await build(root, ctx, ['-t', 'base:1']);
    expect(base.code, base.stderr).toBe(0);
    before = storeFingerprint(root);
  });
  afterAll(() => t.cleanup());

  it('reports the location, exit code, output tail and the full log; tags nothing; leaves the store as it was', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => `echo early-${i}`).join('; ');
    const file = path.join(t.dir, 'Dockerfile.fail');
    writeFileSync(file, `${BASE}RUN sh -c '${lines}; echo line1; echo oops >&2; exit 3'\n`);
    const r = await build(root, ctx, ['-f', file, '-t', 'fail:1']);
    expect(r.code).toBe(1);
    const stderr = r.stderr.replaceAll(file, 'Dockerfile');
    expect(stderr).toMatch(/Dockerfile:4:1: error TSB3001: .*exit(ed)? (with )?code 3/);
    const errorPart = stderr.slice(stderr.indexOf('error TSB3001'));
    expect(errorPart).toContain('oops');
    expect(errorPart).toContain('line1');
    // a tail, not the whole output
    expect(errorPart).not.toContain('early-5\n');
    const log = /\(full output: ([^)]+)\)/.exec(errorPart)?.[1];
    expect(log, errorPart).toBeDefined();
    expect(log?.startsWith(path.join(root, 'logs'))).toBe(true);
    const full = readFileSync(log ?? '', 'utf8');
    for (let i = 0; i < 40; i++) expect(full).toContain(`early-${i}\n`);
    expect(full).toContain('line1\n');
    expect(full).toContain('oops\n');
    expect(await imageNames(root)).not.toContain('docker.io/library/fail:1');
    expect(storeFingerprint(root)).toEqual(before);
  });

  it('a missing user is a located TSB2106 error', async () => {
    const file = path.join(t.dir, 'Dockerfile.nouser');
    writeFileSync(file, `${BASE}USER nosuchuser\nRUN true\n`);
    const r = await build(root, ctx, ['-f', file]);
    expect(r.code).toBe(1);
    expect(r.stderr.replaceAll(file, 'Dockerfile')).toMatch(/Dockerfile:5:1: error TSB2106: .*nosuchuser/);
  });
});

describe.skipIf(!ok)('RUN sees USER, WORKDIR, ENV, ARG and SHELL; heredocs', () => {
  const t = tempDir('tsb-run-cfg-');
  const root = path.join(t.dir, 'store');
  const out = path.join(t.dir, 'out');
  const tar = path.join(t.dir, 'img.tar');
  const ctx = busyboxContext(path.join(t.dir, 'ctx'), `${BASE}ARG GREETING=hello
ENV COLOR=blue
RUN echo "arg=$GREETING env=$COLOR" > /envs
RUN mkdir -p /etc /tmp /home/app && chmod 1777 /tmp \\
 && echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd \\
 && echo 'app:x:1234:2345:app:/home/app:/bin/sh' >> /etc/passwd \\
 && printf 'root:x:0:\\napp:x:2345:\\nextra:x:3456:app\\n' > /etc/group
USER 1000:1000
RUN echo "uid=$(id -u) gid=$(id -g)" > /tmp/numeric
USER app
RUN echo "$(id -u) $(id -g) $(id -G)" > /tmp/named
USER 0
WORKDIR /w
RUN pwd > /w/pwd
SHELL ["/bin/sh", "-xc"]
RUN echo traced
RUN <<EOF
echo one > /heredoc
echo two >> /heredoc
EOF
RUN <<EOF
#!/bin/sh -e
echo "shebang args: $0" > /shebang
EOF
`);
  let r: Awaited<ReturnType<typeof build>>;

  beforeAll(async () => {
    r = await build(root, ctx, ['--build-arg', 'GREETING=bonjour', '--output', `type=local,dest=${out}`, '--output', `type=oci,dest=${tar}`]);
  });
  afterAll(() => t.cleanup());

  it('builds', () => {
    expect(r.code, r.stderr).toBe(0);
  });

  it('passes ENV and ARG to the command', () => {
    expect(readFileSync(path.join(out, 'envs'), 'utf8')).toBe('arg=bonjour env=blue\n');
  });

  it('runs as a numeric USER and as a named user from /etc/passwd written by an earlier RUN', () => {
    expect(readFileSync(path.join(out, 'tmp/numeric'), 'utf8')).toBe('uid=1000 gid=1000\n');
    expect(readFileSync(path.join(out, 'tmp/named'), 'utf8').trim().split(' ').sort()).toEqual(['1234', '2345', '2345', '3456'].sort());
  });

  it('runs in WORKDIR', () => {
    expect(readFileSync(path.join(out, 'w/pwd'), 'utf8')).toBe('/w\n');
  });

  it('SHELL changes how shell-form RUN is run', () => {
    expect(outputLines(r.stderr)).toContain('+ echo traced');
  });

  it('runs heredoc scripts, with or without a #! line', () => {
    expect(readFileSync(path.join(out, 'heredoc'), 'utf8')).toBe('one\ntwo\n');
    expect(readFileSync(path.join(out, 'shebang'), 'utf8')).toMatch(/^shebang args: /);
  });

  it('does not persist ARG in the image config, but ENV', () => {
    const img = readOciTar(tar, path.join(t.dir, 'layout'));
    const env = img.config.config.Env ?? [];
    expect(env).toContain('COLOR=blue');
    expect(env.some((e) => e.startsWith('GREETING='))).toBe(false);
    expect(img.config.config.User).toBe('0');
    expect(img.config.config.WorkingDir).toBe('/w');
  });

  it('leaves no mount stubs behind', () => {
    // runc creates /proc, /dev, /sys, /etc/hosts… as mount points; none of them may reach the image
    expect(existsSync(path.join(out, 'proc'))).toBe(false);
    expect(existsSync(path.join(out, 'sys'))).toBe(false);
    expect(existsSync(path.join(out, 'dev'))).toBe(false);
    expect(existsSync(path.join(out, 'etc/hosts'))).toBe(false);
    expect(existsSync(path.join(out, 'etc/resolv.conf'))).toBe(false);
  });
});

describe.skipIf(!ok)('RUN --security=insecure', () => {
  const t = tempDir('tsb-run-insecure-');
  const root = path.join(t.dir, 'store');
  const ctx = busyboxContext(path.join(t.dir, 'ctx'), `${BASE}RUN --security=insecure echo "capeff=$(grep CapEff /proc/self/status | cut -f2)"
RUN echo "sandboxed=$(grep CapEff /proc/self/status | cut -f2)"
`);
  afterAll(() => t.cleanup());

  it('is refused without --allow security.insecure (TSB3006), located', async () => {
    const r = await build(root, ctx);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Dockerfile:4:1: error TSB3006: .*security\.insecure/);
  });

  it('runs with all capabilities when allowed', async () => {
    const r = await build(root, ctx, ['--allow', 'security.insecure']);
    expect(r.code, r.stderr).toBe(0);
    const all = BigInt(`0x${printed(r.stderr, 'capeff') ?? '0'}`);
    const sandboxed = BigInt(`0x${printed(r.stderr, 'sandboxed') ?? 'f'}`);
    // CAP_SYS_ADMIN (21) only with the entitlement
    expect((all >> 21n) & 1n).toBe(1n);
    expect((sandboxed >> 21n) & 1n).toBe(0n);
  });
});
