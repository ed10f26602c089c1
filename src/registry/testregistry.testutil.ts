// Test support: a throwaway CNCF distribution registry on 127.0.0.1, plus openssl/htpasswd helpers for auth tests.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export interface TestRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
  /** What the registry printed (for failure messages). */
  output(): string;
}

export interface StartRegistryOptions {
  tls?: { cert: string; key: string };
  htpasswd?: string;
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
}

/**
 * True when the registry binary (and openssl) exist. On CI a missing one throws, so the tests
 * cannot silently skip there; elsewhere the reason is printed and the caller skips.
 */
export function haveRegistry(): boolean {
  const reasons: string[] = [];
  if (!existsSync(REGISTRY_BIN)) reasons.push(`${REGISTRY_BIN} missing (apt-get install docker-registry)`);
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    reasons.push('openssl not found (apt-get install openssl)');
  }
  if (reasons.length === 0) return true;
  if (process.env.CI) throw new Error(`test requirement missing on CI: ${reasons.join('; ')}`);
  console.warn(`skipping registry tests: ${reasons.join('; ')}`);
  return false;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

function indent(lines: string[], n: number): string {
  return lines.map((l) => `${' '.repeat(n)}${l}`).join('\n');
}

function configYaml(dir: string, port: number, o: StartRegistryOptions): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
  ];
  if (o.tls) lines.push('  tls:', `    certificate: ${o.tls.cert}`, `    key: ${o.tls.key}`);
  if (o.htpasswd) lines.push('auth:', '  htpasswd:', '    realm: test-realm', `    path: ${o.htpasswd}`);
  if (o.token) {
    lines.push('auth:', '  token:', indent([`realm: ${o.token.realm}`, `service: ${o.token.service}`, `issuer: ${o.token.issuer}`, `rootcertbundle: ${o.token.rootCertBundle}`], 4));
  }
  return `${lines.join('\n')}\n`;
}

function probe(port: number, tls: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const mod = tls ? https : http;
    const req = mod.request({ host: '127.0.0.1', port, path: '/v2/', method: 'GET', rejectUnauthorized: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 || res.statusCode === 401);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export async function startRegistry(o: StartRegistryOptions = {}): Promise<TestRegistry> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsbuild-registry-'));
  const port = await freePort();
  const cfg = path.join(dir, 'config.yml');
  await fsp.writeFile(cfg, configYaml(dir, port, o));
  const child = spawn(REGISTRY_BIN, ['serve', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (running.delete(child)) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    await fsp.rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  while (!(await probe(port, o.tls !== undefined))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`registry did not start on port ${port}:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host: `127.0.0.1:${port}`, port, dir, stop, output: () => out };
}

/** A self-signed certificate and key for 127.0.0.1/localhost, made with openssl. */
export function makeCert(dir: string, name: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
    '-keyout', key, '-out', cert, '-subj', `/CN=${name}`,
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore' });
  return { cert, key };
}

/** One bcrypt htpasswd line: apache2-utils' htpasswd when present, else Python's crypt (libxcrypt does bcrypt). */
export function htpasswdLine(user: string, password: string): string {
  try {
    return execFileSync('htpasswd', ['-Bbn', user, password], { encoding: 'utf8' }).trim();
  } catch {
    const script = 'import crypt,sys; print(crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH)))';
    const hash = execFileSync('python3', ['-W', 'ignore', '-c', script, user, password], { encoding: 'utf8' }).trim();
    if (!hash.startsWith('$2')) throw new Error('no bcrypt implementation found (apt-get install apache2-utils)');
    return `${user}:${hash}`;
  }
}
