// Registry credentials in Docker's config.json: inline `auths`, per-host `credHelpers`, a global `credsStore`.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { TsbuildError, writeFileAtomic } from '../core/index.js';
import { helperErase, helperGet, helperStore } from './credhelper.js';
import { DOCKER_HUB_AUTH_KEY, DOCKER_HUB_DOMAIN, DOCKER_HUB_API_HOST, canonicalHost, dockerConfigDir, type RegistryOptions } from './options.js';

export interface Credential {
  username: string;
  password: string;
  /** An OAuth2 refresh token (a helper's `<token>` user); exchanged at the token endpoint. */
  identityToken?: string;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  [k: string]: unknown;
}

interface DockerConfigFile {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [k: string]: unknown;
}

const HUB_NAMES = new Set([DOCKER_HUB_DOMAIN, 'index.docker.io', DOCKER_HUB_API_HOST]);

/** The config.json key for a registry: Docker Hub keeps its historical URL, others the bare host. */
export function authKey(host: string): string {
  const h = canonicalHost(host);
  return HUB_NAMES.has(h) ? DOCKER_HUB_AUTH_KEY : h;
}

function sameRegistry(key: string, host: string): boolean {
  const a = canonicalHost(key);
  const b = canonicalHost(host);
  return a === b || (HUB_NAMES.has(a) && HUB_NAMES.has(b));
}

function configFile(opts: RegistryOptions): string {
  return path.join(dockerConfigDir(opts), 'config.json');
}

async function readConfig(file: string): Promise<DockerConfigFile> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new TsbuildError('TSB4207', `cannot read ${file}`, { cause: e });
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as DockerConfigFile;
  } catch {
    throw new TsbuildError('TSB4207', `${file} is not a JSON object`);
  }
}

function helperFor(cfg: DockerConfigFile, host: string): string | undefined {
  for (const [k, v] of Object.entries(cfg.credHelpers ?? {})) if (sameRegistry(k, host) && v) return v;
  return cfg.credsStore || undefined;
}

function fromEntry(e: AuthEntry, key: string, file: string): Credential | undefined {
  if (typeof e.identitytoken === 'string' && e.identitytoken !== '') return { username: '', password: '', identityToken: e.identitytoken };
  if (typeof e.auth === 'string' && e.auth !== '') {
    const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new TsbuildError('TSB4207', `the auth entry for ${key} in ${file} is not base64 of user:password`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof e.username === 'string' && typeof e.password === 'string') return { username: e.username, password: e.password };
  return undefined;
}

/** Credentials for a registry host (reference domain or API host), or undefined for anonymous access. */
export async function getCredential(host: string, opts: RegistryOptions = {}): Promise<Credential | undefined> {
  const file = configFile(opts);
  const cfg = await readConfig(file);
  const helper = helperFor(cfg, host);
  if (helper) {
    const env = opts.env ?? process.env;
    const got = await helperGet(helper, authKey(host), { env, ...(opts.signal ? { signal: opts.signal } : {}) });
    if (got) return got.username === '<token>' ? { username: '', password: '', identityToken: got.secret } : { username: got.username, password: got.secret };
  }
  const auths = cfg.auths ?? {};
  const exact = auths[authKey(host)];
  if (exact) {
    const c = fromEntry(exact, authKey(host), file);
    if (c) return c;
  }
  for (const [k, e] of Object.entries(auths)) {
    if (!sameRegistry(k, host)) continue;
    const c = fromEntry(e, k, file);
    if (c) return c;
  }
  return undefined;
}

async function writeConfig(file: string, cfg: DockerConfigFile): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify(cfg, null, '\t')}\n`, 0o600);
}

/** Saves credentials: through the configured helper when there is one, else inline in config.json. */
export async function storeCredential(host: string, cred: Credential, opts: RegistryOptions = {}): Promise<void> {
  const file = configFile(opts);
  const cfg = await readConfig(file);
  const key = authKey(host);
  const auths = { ...(cfg.auths ?? {}) };
  for (const k of Object.keys(auths)) if (k !== key && sameRegistry(k, host)) delete auths[k];
  const helper = helperFor(cfg, host);
  if (helper) {
    const env = opts.env ?? process.env;
    await helperStore(helper, key, { username: cred.username, secret: cred.password }, { env, ...(opts.signal ? { signal: opts.signal } : {}) });
    // Docker leaves an empty entry so that `docker info`-style listings still show the registry.
    auths[key] = {};
  } else {
    auths[key] = { auth: Buffer.from(`${cred.username}:${cred.password}`, 'utf8').toString('base64') };
  }
  await writeConfig(file, { ...cfg, auths });
}

/** Forgets credentials for a host; returns whether any were stored. */
export async function eraseCredential(host: string, opts: RegistryOptions = {}): Promise<boolean> {
  const file = configFile(opts);
  const cfg = await readConfig(file);
  const auths = { ...(cfg.auths ?? {}) };
  const keys = Object.keys(auths).filter((k) => sameRegistry(k, host));
  const helper = helperFor(cfg, host);
  let had = keys.length > 0;
  if (helper) {
    const env = opts.env ?? process.env;
    const sig = { env, ...(opts.signal ? { signal: opts.signal } : {}) };
    if (await helperGet(helper, authKey(host), sig)) had = true;
    await helperErase(helper, authKey(host), sig);
  }
  if (keys.length > 0) {
    for (const k of keys) delete auths[k];
    await writeConfig(file, { ...cfg, auths });
  }
  return had;
}
