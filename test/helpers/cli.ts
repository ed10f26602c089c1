// Runs the CLI in-process with captured output, and small helpers for store and file checks.
import { mkdtempSync, readdirSync, rmSync, lstatSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function tsbuild(args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: Readable | string } = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const stdin = typeof o.stdin === 'string' ? Readable.from([Buffer.from(o.stdin)]) : o.stdin ?? Readable.from([]);
  const code = await main(args, {
    cwd: o.cwd ?? process.cwd(),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...o.env },
    stdin,
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    stdoutIsTTY: false,
    stderrIsTTY: false,
    uid: process.getuid?.() ?? 0,
    home: os.homedir(),
  });
  return { code, stdout, stderr };
}

export function tempDir(prefix = 'tsb-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every path under `root` with its type and size, except scratch space; equal listings = same store. */
export function storeFingerprint(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      if (r === 'tmp' || r === 'ingest' || r === 'logs' || r === 'runc' || n.endsWith('.lock') || n === 'lock') continue;
      const st = lstatSync(path.join(dir, n));
      out.push(`${r} ${st.isDirectory() ? 'd' : st.size}`);
      if (st.isDirectory()) walk(path.join(dir, n), r);
    }
  };
  walk(root, '');
  return out;
}
