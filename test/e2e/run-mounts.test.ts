// RUN --mount end to end: secrets reach the command and nothing else; cache mounts outlive builds.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { have } from '../helpers/env.js';
import { tempDir } from '../helpers/cli.js';
import { BASE, build, busyboxContext, filesContaining, printed, sh } from './run.helpers.js';

const ok = have('root', 'overlay', 'runc', 'busybox');

describe.skipIf(!ok)('RUN --mount=type=secret', () => {
  const t = tempDir('tsb-run-secret-');
  const root = path.join(t.dir, 'store');
  const secret = `s3cr3t-${randomBytes(24).toString('hex')}`;
  const secretFile = path.join(t.dir, 'token');
  writeFileSync(secretFile, secret);
  const tar = path.join(t.dir, 'img.tar');
  const ctx = busyboxContext(path.join(t.dir, 'ctx'), `${BASE}RUN --mount=type=secret,id=tok echo "len=$(wc -c < /run/secrets/tok)"
RUN --mount=type=secret,id=tok test -s /run/secrets/tok && cp /run/secrets/tok /dev/null
RUN --mount=type=secret,id=tok,env=TOK,target=/etc/tok test "$TOK" = "$(cat /etc/tok)" && echo "envlen=\${#TOK}"
RUN --mount=type=secret,id=tok,required sh -c 'test "$(stat -c %a /run/secrets/tok)" = 400 && echo mode-ok'
RUN --mount=type=secret,id=tok echo "fstype=$(awk '$5 == "/run/secrets/tok" { for (i = 7; i <= NF; i++) if ($i == "-") print $(i + 1) }' /proc/self/mountinfo)"
USER 1000
RUN --mount=type=secret,id=tok,uid=1000 test -r /run/secrets/tok && echo user-ok
`);
  afterAll(() => t.cleanup());

  it('is readable by the command, and appears in no blob, record, log or export', async () => {
    const r = await build(root, ctx, ['--secret', `id=tok,src=${secretFile}`, '-t', 'sec:1', '--output', `type=oci,dest=${tar}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(printed(r.stderr, 'len')).toBe(String(secret.length));
    expect(printed(r.stderr, 'envlen')).toBe(String(secret.length));
    expect(r.stderr).toContain('mode-ok');
    expect(r.stderr).toContain('user-ok');
    // held in memory, never written to the store's disk
    expect(printed(r.stderr, 'fstype')).toBe('tmpfs');
    expect(r.stderr).not.toContain(secret);
    // the store: blobs (gunzipped too), cache records, snapshots, logs, metadata — everything
    expect(filesContaining(root, secret)).toEqual([]);
    const layout = path.join(t.dir, 'layout');
    sh('mkdir', ['-p', layout]);
    sh('tar', ['-xf', tar, '-C', layout]);
    expect(filesContaining(layout, secret)).toEqual([]);
    expect(readFileSync(tar).includes(Buffer.from(secret))).toBe(false);
    // the mount point was only there for the run
    const out = path.join(t.dir, 'out');
    const local = await build(root, ctx, ['--secret', `id=tok,src=${secretFile}`, '--output', `type=local,dest=${out}`]);
    expect(local.code, local.stderr).toBe(0);
    expect(existsSync(path.join(out, 'run'))).toBe(false);
    expect(existsSync(path.join(out, 'etc/tok'))).toBe(false);
  });

  it('a required secret that is not given fails with TSB3005', async () => {
    const file = path.join(t.dir, 'Dockerfile.required');
    writeFileSync(file, `${BASE}RUN --mount=type=secret,id=tok,required true\n`);
    const r = await build(root, ctx, ['-f', file]);
    expect(r.code).toBe(1);
    expect(r.stderr.replaceAll(file, 'Dockerfile')).toMatch(/Dockerfile:4:1: error TSB3005: .*tok/);
  });
});

describe.skipIf(!ok)('RUN --mount=type=cache', () => {
  const t = tempDir('tsb-run-cache-');
  const root = path.join(t.dir, 'store');
  const ctx = busyboxContext(path.join(t.dir, 'ctx'), `${BASE}ARG N
RUN --mount=type=cache,target=/cache sh -c 'echo "$N $(date +%s%N)" >> /cache/log; wc -l < /cache/log > /count'
`);
  afterAll(() => t.cleanup());

  it('keeps its content from one build to the next, and stays out of the image', async () => {
    const counts: string[] = [];
    for (const n of ['1', '2']) {
      const out = path.join(t.dir, `out${n}`);
      const r = await build(root, ctx, ['--build-arg', `N=${n}`, '--output', `type=local,dest=${out}`]);
      expect(r.code, r.stderr).toBe(0);
      counts.push(readFileSync(path.join(out, 'count'), 'utf8').trim());
      expect(existsSync(path.join(out, 'cache'))).toBe(false);
    }
    expect(counts).toEqual(['1', '2']);
  });
});
