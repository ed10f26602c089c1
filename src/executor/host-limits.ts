// Fits a generated spec to what this host can grant: rlimits above our own hard limit and
// capabilities outside our bounding set would make runc fail (e.g. inside a locked-down container).
import { promises as fsp } from 'node:fs';
import { ALL_CAPABILITIES } from './defaults.js';
import type { RuntimeSpec } from './types.js';

export interface HostGrant {
  nofileHard?: number;
  /** Capability names in this process's bounding set. */
  capabilities?: Set<string>;
}

export async function readHostGrant(): Promise<HostGrant> {
  const grant: HostGrant = {};
  try {
    const m = /^Max open files\s+\S+\s+(\d+)/m.exec(await fsp.readFile('/proc/self/limits', 'utf8'));
    if (m) grant.nofileHard = Number(m[1]);
  } catch {
    // no procfs: leave the spec as generated
  }
  try {
    const m = /^CapBnd:\s+([0-9a-f]+)$/m.exec(await fsp.readFile('/proc/self/status', 'utf8'));
    if (m?.[1]) {
      const bits = BigInt(`0x${m[1]}`);
      // ALL_CAPABILITIES is in kernel numbering order, so the index is the bit
      grant.capabilities = new Set(ALL_CAPABILITIES.filter((_, i) => (bits >> BigInt(i)) & 1n));
    }
  } catch {
    // as above
  }
  return grant;
}

export function fitToHost(spec: RuntimeSpec, grant: HostGrant): RuntimeSpec {
  const hard = grant.nofileHard;
  const rlimits = spec.process.rlimits.map((r) =>
    hard !== undefined && r.type === 'RLIMIT_NOFILE' && r.hard > hard ? { ...r, hard, soft: Math.min(r.soft, hard) } : r,
  );
  const caps = grant.capabilities;
  const keep = (list: string[]): string[] => (caps ? list.filter((c) => caps.has(c)) : list);
  const c = spec.process.capabilities;
  return {
    ...spec,
    process: { ...spec.process, rlimits, capabilities: { bounding: keep(c.bounding), effective: keep(c.effective), permitted: keep(c.permitted) } },
  };
}
