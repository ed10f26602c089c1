// Destination paths inside the rootfs being built: resolution as in a chroot, directory creation.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { TsbuildError, throwIfAborted } from '../../core/index.js';
import { cleanPath, resolveWithin } from '../../context/index.js';
import { chownEntry } from './meta.js';

/**
 * Maps an absolute in-image path to a host path below `root`, following symlinks as if
 * `root` were `/` (never leaving it). Missing components are kept literally.
 */
export async function resolveInRoot(root: string, p: string, opts: { followFinal?: boolean; signal?: AbortSignal } = {}): Promise<string> {
  const r = await resolveWithin(root, p, { confine: 'chroot', followFinal: opts.followFinal ?? true, ...(opts.signal ? { signal: opts.signal } : {}) });
  return r.abs;
}

export interface DestPath {
  /** Cleaned absolute in-image path. */
  path: string;
  /** Written with a trailing `/` (or as `.`/`/.`): the destination is a directory. */
  isDir: boolean;
}

/** Interprets the destination word relative to WORKDIR, keeping the "is a directory" hint. */
export function destPath(dest: string, workdir: string): DestPath {
  const d = dest === '' || dest === '.' ? './' : dest;
  const isDir = d.endsWith('/') || d.endsWith('/.') || d === '.';
  const abs = d.startsWith('/') ? d : `${workdir.replace(/\/+$/, '')}/${d}`;
  return { path: cleanPath(abs), isDir };
}

/**
 * Creates every missing directory of the in-image path `p` (mode 0755, owned by `owner`),
 * resolving existing components inside `root`; existing directories are left untouched.
 * A component that exists but is not a directory → TSB2107. Returns the host path.
 */
export async function mkdirAllInRoot(root: string, p: string, opts: { owner: { uid: number; gid: number }; signal?: AbortSignal }): Promise<string> {
  const parts = cleanPath('/' + p).split('/').filter(Boolean);
  let host = root;
  for (let i = 1; i <= parts.length; i++) {
    throwIfAborted(opts.signal);
    const inImage = '/' + parts.slice(0, i).join('/');
    host = await resolveInRoot(root, inImage);
    let st;
    try {
      st = await fsp.stat(host);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw e;
    }
    if (st) {
      if (!st.isDirectory()) throw new TsbuildError('TSB2107', `cannot create directory ${inImage}: a non-directory exists there`);
      continue;
    }
    await fsp.mkdir(host);
    await fsp.chmod(host, 0o755);
    await chownEntry(host, opts.owner, false);
  }
  return parts.length === 0 ? path.resolve(root) : host;
}
