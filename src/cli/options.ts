// Parsing of repeated and structured command-line values (K=V, sizes, secrets).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TsbuildError } from '../core/index.js';
import { parseSize } from '../planner/index.js';

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function usage(message: string): TsbuildError {
  return new TsbuildError('TSB9001', message);
}

/** `K=V` pairs; a bare `K` takes its value from the environment (as `docker build --build-arg K`). */
export function keyValues(list: readonly string[], flag: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const i = item.indexOf('=');
    const k = i < 0 ? item : item.slice(0, i);
    if (!k) throw usage(`invalid ${flag} "${item}": expected KEY=VALUE`);
    if (i < 0) {
      const v = env[k];
      if (v !== undefined) out[k] = v;
    } else out[k] = item.slice(i + 1);
  }
  return out;
}

export function sizeOption(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = parseSize(v);
  if (n === undefined || n <= 0) throw usage(`invalid ${flag} "${v}": expected a size like 512m or 2g`);
  return n;
}

export function numberOption(v: string | undefined, flag: string, opts: { integer?: boolean } = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (opts.integer && !Number.isInteger(n))) throw usage(`invalid ${flag} "${v}": expected a positive ${opts.integer ? 'integer' : 'number'}`);
  return n;
}

/** `--secret id=ID,src=PATH` or `id=ID,env=VAR` (also `source=`, `type=file|env`). */
export function parseSecrets(list: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const spec of list) {
    const kv = new Map(spec.split(',').map((p) => {
      const i = p.indexOf('=');
      return [i < 0 ? p : p.slice(0, i), i < 0 ? '' : p.slice(i + 1)] as const;
    }));
    const id = kv.get('id');
    if (!id) throw usage(`invalid --secret "${spec}": id= is required`);
    const src = kv.get('src') ?? kv.get('source');
    const envName = kv.get('env') ?? (src === undefined ? id : undefined);
    if (src !== undefined) {
      try {
        out.set(id, readFileSync(path.resolve(cwd, src)));
      } catch {
        throw usage(`--secret ${id}: cannot read ${src}`);
      }
    } else if (envName !== undefined) {
      const v = env[envName];
      if (v === undefined) throw usage(`--secret ${id}: environment variable ${envName} is not set`);
      out.set(id, Buffer.from(v));
    }
  }
  return out;
}

export function oneOf<T extends string>(v: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(v)) throw usage(`invalid ${flag} "${v}": expected one of ${allowed.join(', ')}`);
  return v as T;
}
