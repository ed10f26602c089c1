// The compiled CLI for tests that need a real child process (signals, concurrency): built once per run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './env.js';

export const cliPath = path.join(repoRoot, 'bin', 'tsbuild.js');

/** Newest modification time of the non-test sources under `dir`. */
function newestSource(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestSource(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** Compiles src/ into dist/ and bundles it (what `npm run build` does) unless the bundle is newer than every source file. */
export function ensureDist(): void {
  const bundle = path.join(repoRoot, 'dist', 'tsbuild.cjs');
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= newestSource(path.join(repoRoot, 'src'))) return;
  // Type errors elsewhere in a work tree still emit JavaScript; only a missing bundle is fatal.
  spawnSync(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(repoRoot, 'tsconfig.build.json')], { stdio: 'ignore' });
  rmSync(bundle, { force: true });
  spawnSync(process.execPath, [path.join(repoRoot, 'node_modules', 'rolldown', 'bin', 'cli.mjs'), '-c', path.join(repoRoot, 'rolldown.config.js')], { cwd: repoRoot, stdio: 'ignore' });
  if (!existsSync(bundle)) throw new Error('building dist/tsbuild.cjs failed');
}

export interface Child {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export function spawnCli(args: string[], o: { cwd: string; env?: NodeJS.ProcessEnv }): Child {
  const proc = spawn(process.execPath, [cliPath, ...args], { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}
