// Path resolution confined to a destination directory: rejects escapes instead of following them.
import { lstat, mkdir, readlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { TsbuildError } from '../core/index.js';

/** Symlink hops allowed while resolving one path (the kernel's own limit). */
const MAX_HOPS = 40;

export function unsafe(entry: string, why: string): TsbuildError {
  return new TsbuildError('TSB3101', `unsafe layer entry '${entry}': ${why}`);
}

/**
 * Splits an entry name into components. Absolute names and `..` components are refused (not
 * stripped) so a hostile archive fails loudly; `./` prefixes and empty components are dropped.
 */
export function entryParts(name: string): string[] {
  if (name.includes('\0')) throw unsafe(name, 'name contains a NUL byte');
  if (name.startsWith('/')) throw unsafe(name, 'absolute path');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw unsafe(name, "'..' component");
  return parts;
}

export async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Where a symlink with `target`, stored in directory `dirParts`, points — as components under the
 * root — or undefined when it is absolute or climbs above the root.
 */
export function confinedTarget(dirParts: readonly string[], target: string): string[] | undefined {
  if (path.posix.isAbsolute(target)) return undefined;
  const out = [...dirParts];
  for (const c of target.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(c);
  }
  return out;
}

export interface ResolveOptions {
  /** Create missing directories (mode 0755); otherwise stop and report them missing. */
  create: boolean;
  /** Called with the root-relative path of each directory created. */
  onCreate?: (rel: string) => void;
}

/**
 * Resolves directory components under `root` without ever leaving it. Symlinks met on the way
 * are followed only when relative and confined to the root (as `bin -> usr/bin`); absolute or
 * escaping links make the entry unsafe. Returns the real root-relative components, or undefined
 * when a component is missing and `create` is false.
 */
export async function resolveDir(
  root: string,
  parts: readonly string[],
  entry: string,
  opts: ResolveOptions,
): Promise<string[] | undefined> {
  const real: string[] = [];
  const pending = [...parts].reverse();
  let hops = 0;
  for (let c = pending.pop(); c !== undefined; c = pending.pop()) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (real.length === 0) throw unsafe(entry, 'a symlink in its path leads outside the destination');
      real.pop();
      continue;
    }
    const abs = path.join(root, ...real, c);
    const st = await lstatOrUndefined(abs);
    if (!st) {
      if (!opts.create) return undefined;
      await mkdir(abs, { mode: 0o755 });
      real.push(c);
      opts.onCreate?.(real.join('/'));
      continue;
    }
    if (st.isSymbolicLink()) {
      if (++hops > MAX_HOPS) throw unsafe(entry, 'too many symlinks in its path');
      const target = await readlink(abs);
      if (path.posix.isAbsolute(target)) {
        throw unsafe(entry, `'${[...real, c].join('/')}' is a symlink to the absolute path '${target}'`);
      }
      for (const t of target.split('/').reverse()) pending.push(t);
      continue;
    }
    if (!st.isDirectory()) {
      throw new TsbuildError('TSB3102', `cannot create '${entry}': '${[...real, c].join('/')}' is not a directory`);
    }
    real.push(c);
  }
  return real;
}
