// Runs the few system tools the layer code needs (mknod, mkfifo, setfattr, getfattr, bzip2, xz).
import { spawn } from 'node:child_process';
import { TsbuildError } from '../core/index.js';

/** apt package that provides each tool, named in the error when the tool is missing. */
const PACKAGES: Record<string, string> = {
  getfattr: 'attr',
  setfattr: 'attr',
  mknod: 'coreutils',
  mkfifo: 'coreutils',
  bzip2: 'bzip2',
  xz: 'xz-utils',
};

export function toolMissing(tool: string, cause?: unknown): TsbuildError {
  const pkg = PACKAGES[tool] ?? tool;
  return new TsbuildError('TSB3104', `${tool} not found on PATH (install the '${pkg}' package)`, {
    ...(cause === undefined ? {} : { cause }),
  });
}

export interface RunToolOptions {
  cwd?: string;
  signal?: AbortSignal;
  /** Exit codes that are not failures (getfattr reports 1 when some files vanished). */
  okCodes?: readonly number[];
}

/** Runs a tool to completion, returning stdout; failures become TsbuildError with stderr. */
export function runTool(tool: string, args: readonly string[], opts: RunToolOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') reject(toolMissing(tool, e));
      else reject(e);
    });
    child.on('close', (code) => {
      const ok = opts.okCodes ?? [0];
      if (code !== null && ok.includes(code)) return resolve(Buffer.concat(out));
      const stderr = Buffer.concat(err).toString('utf8').trim();
      reject(
        new TsbuildError('TSB3105', `${tool} ${args.join(' ')} failed (exit ${code ?? 'signal'})`, {
          detail: stderr.slice(-2000),
        }),
      );
    });
  });
}
