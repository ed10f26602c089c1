// Platform matching: the host platform, normalization of arch/variant aliases, manifest selection.
import type { Descriptor, Platform } from '../core/index.js';

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', x86: '386', ia32: '386', x64: 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm' };

function normArch(a: string): string {
  return ARCH_ALIASES[a] ?? a;
}

/** Variant each architecture has when none is written (arm64 is v8, arm is v7). */
function normVariant(arch: string, v: string | undefined): string | undefined {
  if (v !== undefined && v !== '') return v;
  if (arch === 'arm64') return 'v8';
  if (arch === 'arm') return 'v7';
  return undefined;
}

export function hostPlatform(): Platform {
  const architecture = normArch(process.arch === 'ppc64' ? 'ppc64le' : process.arch);
  const variant = normVariant(architecture, undefined);
  return { os: 'linux', architecture, ...(architecture === 'arm' && variant ? { variant } : {}) };
}

/** True when `have` satisfies `want`; a `want` without variant accepts any variant of the arch. */
export function platformMatches(want: Platform, have: Platform | undefined): boolean {
  if (!have) return false;
  const wa = normArch(want.architecture);
  const ha = normArch(have.architecture);
  if (want.os !== have.os || wa !== ha) return false;
  if (want.variant === undefined || want.variant === '') return true;
  return normVariant(wa, want.variant) === normVariant(ha, have.variant);
}

/**
 * Picks one entry of an index: the first matching `want`; without `want`, the only entry, else the
 * first for linux on the host architecture.
 */
export function selectManifest(entries: readonly Descriptor[], want?: Platform): Descriptor | undefined {
  if (want) return entries.find((d) => platformMatches(want, d.platform));
  if (entries.length === 1) return entries[0];
  const host = hostPlatform();
  return entries.find((d) => platformMatches({ os: host.os, architecture: host.architecture }, d.platform));
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== '').join('/');
}
