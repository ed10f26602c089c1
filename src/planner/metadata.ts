// Instructions that only change the image config: ENV, LABEL, EXPOSE, USER, VOLUME, CMD, …
import { TsbuildError, type SourceLocation } from '../core/index.js';
import type { CommandForm } from '../parser/index.js';
import type { RuntimeConfig } from './types.js';

export function envMap(env: readonly string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of env ?? []) {
    const i = kv.indexOf('=');
    if (i < 0) m.set(kv, '');
    else m.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return m;
}

/** Sets or replaces `key` in an OCI Env list, keeping the original order of other entries. */
export function setEnv(env: readonly string[] | undefined, key: string, value: string): string[] {
  const out = [...(env ?? [])];
  const i = out.findIndex((kv) => kv === key || kv.startsWith(`${key}=`));
  if (i >= 0) out[i] = `${key}=${value}`;
  else out.push(`${key}=${value}`);
  return out;
}

/** Exec form as written; shell form wrapped in the current SHELL. */
export function commandArgs(cmd: CommandForm, shell: readonly string[]): string[] {
  return cmd.form === 'exec' ? [...cmd.args] : [...shell, cmd.command];
}

/** EXPOSE values: `80`, `80/UDP`, `8000-8002/tcp` → `80/tcp`… (ranges expanded, protocol lower-cased). */
export function exposedPorts(values: readonly string[], location: SourceLocation): string[] {
  const out: string[] = [];
  for (const raw of values) {
    const m = /^(\d+)(?:-(\d+))?(?:\/([A-Za-z]+))?$/.exec(raw);
    const proto = (m?.[3] ?? 'tcp').toLowerCase();
    const lo = Number(m?.[1]);
    const hi = m?.[2] === undefined ? lo : Number(m[2]);
    if (!m || !['tcp', 'udp', 'sctp'].includes(proto) || lo < 0 || hi > 65535 || hi < lo) {
      throw new TsbuildError('TSB2008', `invalid EXPOSE port "${raw}": expected PORT[-PORT][/tcp|udp|sctp]`, { location });
    }
    for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  }
  return out;
}

const SIGNALS = [
  'ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE', 'POLL', 'PROF', 'PWR',
  'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'USR1', 'USR2', 'VTALRM', 'WINCH', 'XCPU', 'XFSZ',
];

/** STOPSIGNAL accepts a number, or a signal name with or without the SIG prefix (as Docker). */
export function validateStopSignal(sig: string, location: SourceLocation): string {
  const name = sig.toUpperCase().replace(/^SIG/, '');
  const ok = /^\d+$/.test(sig) ? Number(sig) > 0 && Number(sig) <= 64 : SIGNALS.includes(name) || /^RTM(IN|AX)([+-]\d+)?$/.test(name);
  if (!ok) throw new TsbuildError('TSB2008', `invalid STOPSIGNAL "${sig}"`, { location });
  return sig;
}

/** Resolves WORKDIR against the current one and cleans it like path.Clean. */
export function resolveWorkdir(current: string, p: string): string {
  const joined = p.startsWith('/') ? p : `${current.replace(/\/$/, '')}/${p}`;
  const parts: string[] = [];
  for (const seg of joined.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

export function addKeys(obj: Record<string, Record<string, never>> | undefined, keys: readonly string[]): Record<string, Record<string, never>> {
  const out = { ...(obj ?? {}) };
  for (const k of keys) out[k] = {};
  return out;
}

export function cloneRuntime(c: RuntimeConfig): RuntimeConfig {
  return structuredClone(c);
}
