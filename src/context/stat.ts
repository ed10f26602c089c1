// lstat → ContextEntry, with nanosecond times kept for exact timestamp preservation.
import { promises as fsp, type BigIntStats } from 'node:fs';
import path from 'node:path';
import type { ContextEntry, EntryType } from './types.js';

function typeOf(st: BigIntStats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** Stats `rel` under `root` without following a final symlink; undefined when it vanished. */
export async function statEntry(root: string, rel: string): Promise<ContextEntry | undefined> {
  const abs = rel === '.' ? root : path.join(root, rel);
  let st: BigIntStats;
  try {
    st = await fsp.lstat(abs, { bigint: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
  const type = typeOf(st);
  const entry: ContextEntry = {
    path: rel,
    matched: rel,
    abs,
    type,
    mode: Number(st.mode),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: Number(st.size),
    mtimeMs: Number(st.mtimeMs),
    mtimeNs: st.mtimeNs,
    atimeNs: st.atimeNs,
    ino: Number(st.ino),
    dev: Number(st.dev),
    nlink: Number(st.nlink),
    rdev: Number(st.rdev),
  };
  if (type === 'symlink') entry.linkTarget = await fsp.readlink(abs);
  return entry;
}
