// Docker credential helpers: `docker-credential-<name> get|store|erase` over stdin/stdout.
import { spawn } from 'node:child_process';
import { TsbuildError, abortError } from '../core/index.js';

export interface HelperCredential {
  username: string;
  secret: string;
}

interface HelperRun {
  code: number;
  stdout: string;
  stderr: string;
}

const NOT_FOUND = 'credentials not found in native keychain';

function run(helper: string, action: string, input: string, opts: { env?: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<HelperRun> {
  const bin = `docker-credential-${helper}`;
  return new Promise<HelperRun>((resolve, reject) => {
    const child = spawn(bin, [action], { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], ...(opts.signal ? { signal: opts.signal } : {}) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError') return reject(abortError(opts.signal));
      const why = e.code === 'ENOENT' ? `${bin} not found on PATH` : `cannot run ${bin}`;
      reject(new TsbuildError('TSB4206', why, { cause: e }));
    });
    child.on('close', (code) => {
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** A helper's own error text, first line only: helpers print diagnostics there, never the secret. */
function reason(r: HelperRun): string {
  const line = (r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line || `exit code ${r.code}`;
}

export async function helperGet(
  helper: string,
  serverUrl: string,
  opts: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {},
): Promise<HelperCredential | undefined> {
  const r = await run(helper, 'get', serverUrl, opts);
  if (r.code !== 0) {
    if (r.stdout.includes(NOT_FOUND) || r.stderr.includes(NOT_FOUND)) return undefined;
    throw new TsbuildError('TSB4206', `docker-credential-${helper} get for ${serverUrl} failed: ${reason(r)}`);
  }
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(r.stdout) as { Username?: unknown; Secret?: unknown };
  } catch {
    throw new TsbuildError('TSB4206', `docker-credential-${helper} get for ${serverUrl} printed something that is not JSON`);
  }
  if (typeof parsed.Secret !== 'string' || parsed.Secret === '') return undefined;
  return { username: typeof parsed.Username === 'string' ? parsed.Username : '', secret: parsed.Secret };
}

export async function helperStore(
  helper: string,
  serverUrl: string,
  cred: HelperCredential,
  opts: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {},
): Promise<void> {
  const r = await run(helper, 'store', JSON.stringify({ ServerURL: serverUrl, Username: cred.username, Secret: cred.secret }), opts);
  if (r.code !== 0) throw new TsbuildError('TSB4206', `docker-credential-${helper} store for ${serverUrl} failed: ${reason(r)}`);
}

export async function helperErase(helper: string, serverUrl: string, opts: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<void> {
  const r = await run(helper, 'erase', serverUrl, opts);
  if (r.code !== 0 && !(r.stdout.includes(NOT_FOUND) || r.stderr.includes(NOT_FOUND))) {
    throw new TsbuildError('TSB4206', `docker-credential-${helper} erase for ${serverUrl} failed: ${reason(r)}`);
  }
}
