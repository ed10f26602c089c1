// `RUN --mount=…` values: parsed, defaulted and validated as BuildKit does.
import path from 'node:path';
import { TsbuildError, type SourceLocation } from '../core/index.js';
import type { RunMount } from '../graph/index.js';

export interface ParsedMount {
  mount: RunMount;
  /** The `from=` value when the mount reads from a stage, context or image. */
  from?: string;
}

function parseBool(key: string, v: string | undefined, loc: SourceLocation): boolean {
  if (v === undefined || v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new TsbuildError('TSB3004', `invalid value for --mount option ${key}: ${v}`, { location: loc });
}

function parseNum(key: string, v: string | undefined, loc: SourceLocation, base = 10): number {
  const n = v === undefined ? NaN : base === 8 ? parseInt(v, 8) : Number(v);
  if (!Number.isInteger(n) || n < 0 || (base === 8 && !/^[0-7]+$/.test(v ?? ''))) {
    throw new TsbuildError('TSB3004', `invalid value for --mount option ${key}: ${v ?? ''}`, { location: loc });
  }
  return n;
}

/** Splits `a=b,c="d,e"` into fields, honouring double quotes as a CSV reader does. */
function fields(spec: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of spec) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.filter((f) => f.length > 0);
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

export function parseSize(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(v.trim());
  const unit = SIZE_UNITS[(m?.[2] ?? '').toLowerCase()];
  if (!m || unit === undefined) return undefined;
  return Math.floor(Number(m[1]) * unit);
}

export function parseMount(spec: string, workdir: string, loc: SourceLocation): ParsedMount {
  const kv = new Map<string, string | undefined>();
  for (const f of fields(spec)) {
    const i = f.indexOf('=');
    const key = (i < 0 ? f : f.slice(0, i)).toLowerCase();
    kv.set(key, i < 0 ? undefined : f.slice(i + 1));
  }
  const type = kv.get('type') ?? 'bind';
  const targetRaw = kv.get('target') ?? kv.get('dst') ?? kv.get('destination');
  const target = targetRaw === undefined ? undefined : path.posix.resolve(workdir, targetRaw);
  const source = kv.get('source') ?? kv.get('src');
  const ro = kv.has('readonly') || kv.has('ro') ? parseBool('readonly', kv.get('readonly') ?? kv.get('ro'), loc) : undefined;
  const rw = kv.has('rw') || kv.has('readwrite') ? parseBool('rw', kv.get('rw') ?? kv.get('readwrite'), loc) : undefined;
  const readonly = ro ?? (rw === undefined ? undefined : !rw);
  const from = kv.get('from');
  const known: Record<string, string[]> = {
    bind: ['type', 'target', 'dst', 'destination', 'source', 'src', 'from', 'readonly', 'ro', 'rw', 'readwrite'],
    cache: ['type', 'target', 'dst', 'destination', 'source', 'src', 'from', 'readonly', 'ro', 'rw', 'readwrite', 'id', 'sharing', 'mode', 'uid', 'gid'],
    tmpfs: ['type', 'target', 'dst', 'destination', 'size'],
    secret: ['type', 'target', 'dst', 'destination', 'id', 'required', 'mode', 'uid', 'gid', 'env'],
  };
  if (type === 'ssh') throw new TsbuildError('TSB2009', 'RUN --mount=type=ssh is not supported yet', { location: loc });
  const allowed = known[type];
  if (!allowed) throw new TsbuildError('TSB3004', `unsupported mount type "${type}"`, { location: loc });
  for (const k of kv.keys()) if (!allowed.includes(k)) throw new TsbuildError('TSB3004', `unknown option "${k}" for --mount=type=${type}`, { location: loc });
  const needTarget = (): string => {
    if (target === undefined) throw new TsbuildError('TSB3004', `--mount=type=${type} needs target=`, { location: loc });
    return target;
  };
  const withFrom = (m: RunMount): ParsedMount => (from === undefined ? { mount: m } : { mount: m, from });
  switch (type) {
    case 'bind':
      return withFrom({ type: 'bind', target: needTarget(), source: source ?? '/', from: { type: 'context', name: '' }, readonly: readonly ?? true });
    case 'cache': {
      const t = needTarget();
      const sharing = kv.get('sharing') ?? 'shared';
      if (sharing !== 'shared' && sharing !== 'private' && sharing !== 'locked') throw new TsbuildError('TSB3004', `invalid sharing "${sharing}": shared, private or locked`, { location: loc });
      return withFrom({
        type: 'cache', target: t, id: kv.get('id') ?? t, sharing, source: source ?? '/',
        mode: kv.has('mode') ? parseNum('mode', kv.get('mode'), loc, 8) : 0o755,
        uid: kv.has('uid') ? parseNum('uid', kv.get('uid'), loc) : 0,
        gid: kv.has('gid') ? parseNum('gid', kv.get('gid'), loc) : 0,
        readonly: readonly ?? false,
      });
    }
    case 'tmpfs': {
      const sizeRaw = kv.get('size');
      const size = sizeRaw === undefined ? undefined : parseSize(sizeRaw);
      if (sizeRaw !== undefined && size === undefined) throw new TsbuildError('TSB3004', `invalid tmpfs size "${sizeRaw}"`, { location: loc });
      return { mount: { type: 'tmpfs', target: needTarget(), ...(size !== undefined ? { size } : {}) } };
    }
    default: {
      const env = kv.get('env');
      const id = kv.get('id') ?? (target !== undefined ? path.posix.basename(target) : env);
      if (!id) throw new TsbuildError('TSB3004', '--mount=type=secret needs id= or target=', { location: loc });
      const t = target ?? (env !== undefined && !kv.has('target') ? '' : `/run/secrets/${id}`);
      return {
        mount: {
          type: 'secret', target: t, id, required: kv.has('required') ? parseBool('required', kv.get('required'), loc) : false,
          mode: kv.has('mode') ? parseNum('mode', kv.get('mode'), loc, 8) : 0o400,
          uid: kv.has('uid') ? parseNum('uid', kv.get('uid'), loc) : 0,
          gid: kv.has('gid') ? parseNum('gid', kv.get('gid'), loc) : 0,
          ...(env !== undefined ? { env } : {}),
        },
      };
    }
  }
}
