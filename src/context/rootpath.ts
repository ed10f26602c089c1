// Resolving a path inside a root directory with symlinks followed as if the root were `/`.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { TsbuildError, throwIfAborted } from '../core/index.js';

const MAX_LINKS = 255;

export interface ResolveOptions {
  /** Follow a symlink in the last component too (default true). */
  followFinal?: boolean;
  /**
   * 'chroot': `..` stops at the root and absolute link targets start at the root (an image
   * rootfs). 'strict': leaving the root by any means is an error (a build context).
   */
  confine: 'chroot' | 'strict';
  /** Name used in error messages (the user's source word). */
  what?: string;
  signal?: AbortSignal;
}

export interface ResolvedPath {
  /** Resolved path relative to the root, '/'-separated; '.' for the root itself. */
  rel: string;
  abs: string;
  /** Root-relative paths of the symlinks followed on the way, in order. */
  links: string[];
  /** True when some component does not exist (the rest was resolved lexically). */
  missing: boolean;
}

function escapeError(what: string, detail: string): TsbuildError {
  return new TsbuildError('TSB2102', `${what}: path escapes the build context (${detail})`);
}

function splitParts(p: string): string[] {
  return p.split('/').filter((s) => s !== '' && s !== '.');
}

/**
 * Resolves `p` (taken relative to `root` even when it starts with `/`) component by
 * component, reading each symlink and continuing from its target inside the root.
 */
export async function resolveWithin(root: string, p: string, opts: ResolveOptions): Promise<ResolvedPath> {
  const followFinal = opts.followFinal ?? true;
  const what = opts.what ?? p;
  const stack: string[] = [];
  const links: string[] = [];
  let queue = splitParts(p);
  let missing = false;
  let hops = 0;
  while (queue.length > 0) {
    const c = queue.shift() as string;
    if (c === '..') {
      if (stack.length === 0) {
        if (opts.confine === 'strict') throw escapeError(what, 'a ".." leaves the context root');
        continue;
      }
      stack.pop();
      continue;
    }
    stack.push(c);
    if (missing || (queue.length === 0 && !followFinal)) continue;
    throwIfAborted(opts.signal);
    const abs = path.join(root, ...stack);
    let isLink = false;
    try {
      isLink = (await fsp.lstat(abs)).isSymbolicLink();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      missing = true;
      continue;
    }
    if (!isLink) continue;
    if (++hops > MAX_LINKS) throw new TsbuildError('TSB2102', `${what}: too many levels of symbolic links`);
    const target = await fsp.readlink(abs);
    links.push(stack.join('/'));
    stack.pop();
    if (target.startsWith('/')) {
      if (opts.confine === 'strict') throw escapeError(what, `symlink ${stack.concat(c).join('/')} points to ${target}`);
      stack.length = 0;
    }
    queue = [...splitParts(target), ...queue];
  }
  return { rel: stack.length === 0 ? '.' : stack.join('/'), abs: path.join(root, ...stack), links, missing };
}
