// Shared setup for the cache e2e tests: runs `tsbuild cache …` and writes small COPY-only contexts.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { TsbuildError } from '../../src/core/index.js';
import { cacheCommand } from '../../src/cli/commands/cache.js';
import type { Ctx } from '../../src/cli/commands/common.js';
import { busyboxPath } from '../helpers/env.js';
import { tsbuild, type CliResult } from '../helpers/cli.js';

/** `tsbuild --root ROOT cache ARGS…`, through main() when it knows the command, else directly. */
export async function cache(root: string, args: string[], cwd = process.cwd()): Promise<CliResult> {
  const viaMain = await tsbuild(['--root', root, 'cache', ...args], { cwd });
  if (!/unknown command 'cache'/.test(viaMain.stderr)) return viaMain;
  let stdout = '';
  let stderr = '';
  const ctx: Ctx = {
    host: {
      cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdin: Readable.from([]),
      stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), stdoutIsTTY: false, stderrIsTTY: false, uid: process.getuid?.() ?? 0, home: os.homedir(),
    },
    exitCode: 0, cores: 2, root, usage: (m) => new TsbuildError('TSB9001', m),
  };
  const cmd = cacheCommand(ctx).exitOverride().configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
  for (const c of cmd.commands) c.exitOverride().configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
  try {
    await new Command('tsbuild').addCommand(cmd).exitOverride().parseAsync(['cache', ...args], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return { code: 2, stdout, stderr };
    throw e;
  }
  return { code: ctx.exitCode, stdout, stderr };
}

export const DOCKERFILE = `FROM scratch
ARG FLAVOR=plain
COPY busybox /bin/busybox
COPY a.txt /a.txt
ENV FLAVOR=$FLAVOR
COPY b.txt /b.txt
`;

/** A context with busybox (so layers have some weight), two small files and DOCKERFILE. */
export function makeContext(dir: string, dockerfile = DOCKERFILE): void {
  mkdirSync(dir, { recursive: true });
  copyFileSync(busyboxPath, path.join(dir, 'busybox'));
  writeFileSync(path.join(dir, 'a.txt'), 'alpha\n');
  writeFileSync(path.join(dir, 'b.txt'), 'beta\n');
  writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
}

export async function buildImage(root: string, ctxDir: string, extra: string[] = []): Promise<CliResult> {
  return tsbuild(['--root', root, 'build', '--progress', 'plain', ...extra, '.'], { cwd: ctxDir });
}

export interface LsRow {
  key: string;
  name: string;
  lastUsed: string;
  created: string;
  diskSize: number;
  result: { snapshot?: string; layer?: { digest: string } };
  location?: { file: string; line: number };
  preimage?: unknown;
}

export async function records(root: string): Promise<LsRow[]> {
  const r = await cache(root, ['ls', '--format', 'json']);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as LsRow[];
}
