// The pull/push/login/logout commands driven through commander against a real registry.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TsbuildError } from '../core/index.js';
import { ContentStore, RefStore } from '../content/index.js';
import { storeLayout } from '../pipeline/index.js';
import { makeTestImage } from '../image/testimage.testutil.js';
import { loginCommand, logoutCommand, pullCommand, pushCommand } from '../cli/commands/registry.js';
import type { Ctx } from '../cli/commands/common.js';
import { haveRegistry, htpasswdLine, startRegistry, type TestRegistry } from './testregistry.testutil.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(args: string[], opts: { root: string; env: NodeJS.ProcessEnv; stdin?: string }): Promise<Run> {
  let out = '';
  let err = '';
  const ctx: Ctx = {
    host: {
      cwd: process.cwd(), env: opts.env, stdin: Readable.from([Buffer.from(opts.stdin ?? '')]),
      stdout: (s) => void (out += s), stderr: (s) => void (err += s),
      stdoutIsTTY: false, stderrIsTTY: false, uid: 0, home: os.homedir(),
    },
    exitCode: 0, cores: 1, root: opts.root,
    usage: (m) => new TsbuildError('TSB9001', m),
  };
  const program = new Command('tsbuild').exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  for (const c of [pullCommand(ctx), pushCommand(ctx), loginCommand(ctx), logoutCommand(ctx)]) {
    program.addCommand(c.exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) }));
  }
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch {
    return { code: 2, out, err };
  }
  return { code: ctx.exitCode, out, err };
}

describe.skipIf(!haveRegistry())('registry CLI commands', () => {
  let reg: TestRegistry;
  let authReg: TestRegistry;
  let tmp: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsbuild-regcli-'));
    const htpasswd = path.join(tmp, 'htpasswd');
    await fsp.writeFile(htpasswd, `${htpasswdLine('dave', 'cli-pw')}\n`);
    reg = await startRegistry();
    authReg = await startRegistry({ htpasswd });
    env = { ...process.env, DOCKER_CONFIG: path.join(tmp, 'docker') };
  });
  afterAll(async () => {
    await reg?.stop();
    await authReg?.stop();
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  it('pushes a local image and pulls it into another store under the same name', async () => {
    const srcRoot = path.join(tmp, 'src');
    const content = new ContentStore(storeLayout(srcRoot).content);
    const img = await makeTestImage(content, { platform: { os: 'linux', architecture: 'amd64' } });
    const name = `${reg.host}/cli/app:1`;
    await new RefStore(storeLayout(srcRoot).refs).set(name, img.manifest);

    const push = await cli(['push', name], { root: srcRoot, env });
    expect(push.err).toBe('');
    expect(push.code).toBe(0);
    expect(push.out).toContain(img.manifest.digest);

    const dstRoot = path.join(tmp, 'dst');
    const pull = await cli(['pull', '--platform', 'linux/amd64', name], { root: dstRoot, env });
    expect(pull.code).toBe(0);
    expect((await new RefStore(storeLayout(dstRoot).refs).get(name))?.digest).toBe(img.manifest.digest);

    const missing = await cli(['pull', `${reg.host}/cli/app:absent`], { root: dstRoot, env });
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('TSB4203');
    const notLocal = await cli(['push', `${reg.host}/cli/other:1`], { root: dstRoot, env });
    expect(notLocal.code).toBe(1);
    expect(notLocal.err).toContain('TSB4003');
  });

  it('logs in with --password-stdin, rejects bad usage with exit 2, and logs out', async () => {
    const root = path.join(tmp, 'login');
    expect((await cli(['login', authReg.host, '--password-stdin'], { root, env, stdin: 'cli-pw\n' })).code).toBe(2);
    const bad = await cli(['login', '-u', 'dave', '--password-stdin', authReg.host], { root, env, stdin: 'wrong\n' });
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('TSB4202');
    expect(bad.err).not.toContain('wrong');
    const ok = await cli(['login', '-u', 'dave', '--password-stdin', authReg.host], { root, env, stdin: 'cli-pw\n' });
    expect(ok.code).toBe(0);
    expect(ok.out).not.toContain('cli-pw');
    const cfg = await fsp.readFile(path.join(tmp, 'docker', 'config.json'), 'utf8');
    expect(cfg).toContain(authReg.host);
    const out = await cli(['logout', authReg.host], { root, env });
    expect(out.code).toBe(0);
    expect(out.out).toContain('Removed');
    expect(await fsp.readFile(path.join(tmp, 'docker', 'config.json'), 'utf8')).not.toContain(authReg.host);
  });
});
