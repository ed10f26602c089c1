// Registry client options and the host policy: which API host serves a domain, and whether plain HTTP is allowed.
import os from 'node:os';
import path from 'node:path';

export interface RegistryOptions {
  /** Hosts (`host` or `host:port`) that may be reached over plain HTTP or HTTPS without verification. */
  insecureRegistries?: string[];
  /** Extra PEM files with CA certificates, trusted in addition to the bundled ones. */
  caFiles?: string[];
  /** Directory holding Docker's `config.json`; default `$DOCKER_CONFIG` or `~/.docker`. */
  dockerConfigDir?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  userAgent?: string;
  /** Attempts for a request that fails transiently (connection reset/refused, 5xx, 429); default 4. */
  retries?: number;
  /** First backoff delay in milliseconds, doubled on each retry; default 500. */
  retryBaseMs?: number;
  /** Socket inactivity limit in milliseconds; default 60 000. */
  timeoutMs?: number;
}

export const DOCKER_HUB_DOMAIN = 'docker.io';
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/** The key Docker uses in config.json for Docker Hub credentials. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

export const DEFAULT_USER_AGENT = 'tsbuild';

/** The host that answers the distribution API for a reference domain. */
export function apiHost(domain: string): string {
  const d = canonicalHost(domain);
  return d === DOCKER_HUB_DOMAIN || d === 'index.docker.io' ? DOCKER_HUB_API_HOST : d;
}

/** Lower-cased host without scheme or path: `https://Reg.io/v2/` → `reg.io`. */
export function canonicalHost(s: string): string {
  let h = s.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = h.indexOf('/');
  if (slash >= 0) h = h.slice(0, slash);
  return h.toLowerCase();
}

function hostname(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon >= 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

export function isLoopback(host: string): boolean {
  const h = hostname(canonicalHost(host));
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export function isInsecure(host: string, opts: RegistryOptions): boolean {
  const h = canonicalHost(host);
  return (opts.insecureRegistries ?? []).some((r) => {
    const c = canonicalHost(r);
    return c === h || (!c.includes(':') && hostname(h) === c);
  });
}

/** Plain HTTP is allowed only for loopback hosts and hosts listed as insecure. */
export function allowsHttp(host: string, opts: RegistryOptions): boolean {
  return isLoopback(host) || isInsecure(host, opts);
}

export function dockerConfigDir(opts: RegistryOptions): string {
  if (opts.dockerConfigDir !== undefined) return opts.dockerConfigDir;
  const env = opts.env ?? process.env;
  if (env.DOCKER_CONFIG) return env.DOCKER_CONFIG;
  return path.join(env.HOME ?? os.homedir(), '.docker');
}
