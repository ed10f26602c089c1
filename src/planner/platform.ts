// Platforms: the host's, parsing `os/arch[/variant]`, and the automatic platform ARGs.
import { TsbuildError, type Platform, type SourceLocation } from '../core/index.js';
import { formatPlatform } from '../image/index.js';

export { formatPlatform, hostPlatform } from '../image/index.js';

export function parsePlatform(spec: string, location?: SourceLocation): Platform {
  const parts = spec.trim().toLowerCase().split('/');
  if (parts.length < 1 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/.test(p))) {
    throw new TsbuildError('TSB2010', `invalid platform "${spec}": expected os/arch[/variant]`, location ? { location } : {});
  }
  // A lone architecture is taken as linux/<arch>, as the Docker CLI does.
  if (parts.length === 1) return { os: 'linux', architecture: parts[0] ?? '' };
  const [os = '', architecture = '', variant] = parts;
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** The TARGET* and BUILD* automatic ARGs, as BuildKit defines them in the global scope. */
export function platformArgs(target: Platform, build: Platform): Record<string, string> {
  return {
    TARGETPLATFORM: formatPlatform(target),
    TARGETOS: target.os,
    TARGETARCH: target.architecture,
    TARGETVARIANT: target.variant ?? '',
    BUILDPLATFORM: formatPlatform(build),
    BUILDOS: build.os,
    BUILDARCH: build.architecture,
    BUILDVARIANT: build.variant ?? '',
  };
}

export const PROXY_ARGS = new Set([
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
]);
