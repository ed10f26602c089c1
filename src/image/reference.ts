// Docker image references: parsing and normalization following Docker's reference grammar.
import { TsbuildError, type Digest } from '../core/index.js';

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const NAME_MAX = 255;

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|-+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const hostPart = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN_RE = new RegExp(`^${hostPart}(?::[0-9]+)?$`);
const REMAINDER_RE = new RegExp(`^(${pathComponent}(?:/${pathComponent})*)(?::([\\w][\\w.-]{0,127}))?(?:@([^@]+))?$`);
const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256_RE = /^sha256:[a-f0-9]{64}$/;

/** A parsed, normalized image reference. `tag` defaults to `latest` only when neither tag nor digest is given. */
export interface ImageReference {
  /** Registry host (with port), e.g. `docker.io`, `localhost:5000`. */
  readonly domain: string;
  /** Repository path, e.g. `library/busybox`. */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: Digest;
  /** `domain/path`, e.g. `docker.io/library/busybox`. */
  readonly name: string;
  /** Short repository name as Docker shows it, e.g. `busybox`, `user/app`, `localhost:5000/app`. */
  readonly familiarName: string;
  /** Short full reference, e.g. `busybox:latest`. */
  readonly familiar: string;
  /** Normalized full reference, e.g. `docker.io/library/busybox:latest`. */
  toString(): string;
}

function invalid(s: string, why: string): TsbuildError {
  return new TsbuildError('TSB4104', `invalid image reference ${JSON.stringify(s)}: ${why}`);
}

function suffix(tag: string | undefined, digest: string | undefined): string {
  return `${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
}

/** Splits off the registry the way Docker does: the first component is a domain only if it looks like one. */
function splitDomain(s: string): [string, string] {
  const i = s.indexOf('/');
  const first = i < 0 ? '' : s.slice(0, i);
  if (i < 0 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    return [DEFAULT_DOMAIN, s];
  }
  return [first === LEGACY_DOMAIN ? DEFAULT_DOMAIN : first, s.slice(i + 1)];
}

export function parseReference(s: string): ImageReference {
  if (s === '') throw invalid(s, 'empty');
  if (/^[a-f0-9]{64}$/.test(s)) throw invalid(s, 'a 64-character hex string is an image ID, not a name');
  const [domain, rawRest] = splitDomain(s);
  if (!DOMAIN_RE.test(domain)) throw invalid(s, `bad registry host ${JSON.stringify(domain)}`);
  const remoteName = rawRest.split(/[:@]/, 1)[0] ?? '';
  if (remoteName.toLowerCase() !== remoteName) throw invalid(s, 'repository name must be lowercase');
  const rest = domain === DEFAULT_DOMAIN && !remoteName.includes('/') ? OFFICIAL_PREFIX + rawRest : rawRest;
  const m = REMAINDER_RE.exec(rest);
  if (!m) throw invalid(s, 'does not match name[:tag][@digest]');
  const repoPath = m[1] ?? '';
  const rawDigest = m[3];
  if (rawDigest !== undefined) {
    if (!DIGEST_RE.test(rawDigest)) throw invalid(s, `bad digest ${JSON.stringify(rawDigest)}`);
    if (!SHA256_RE.test(rawDigest)) throw invalid(s, `unsupported digest ${JSON.stringify(rawDigest)} (want sha256:<64 hex>)`);
  }
  const digest = rawDigest as Digest | undefined;
  const tag = m[2] ?? (digest === undefined ? 'latest' : undefined);
  const name = `${domain}/${repoPath}`;
  if (name.length > NAME_MAX) throw invalid(s, `repository name longer than ${NAME_MAX} characters`);
  let familiarName = name;
  if (domain === DEFAULT_DOMAIN) {
    const short = repoPath.startsWith(OFFICIAL_PREFIX) ? repoPath.slice(OFFICIAL_PREFIX.length) : repoPath;
    familiarName = short.includes('/') ? repoPath : short;
  }
  const full = name + suffix(tag, digest);
  return {
    domain,
    path: repoPath,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
    name,
    familiarName,
    familiar: familiarName + suffix(tag, digest),
    toString: () => full,
  };
}

/** A tag alone (as in an OCI layout `ref.name`), e.g. `latest`, `v1.2`. */
export function isTag(s: string): boolean {
  return /^[\w][\w.-]{0,127}$/.test(s);
}
