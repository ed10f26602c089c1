// lstat → ContextEntry, with nanosecond times kept for exact timestamp preservation.
import { lstatSync, promises as fsp, readlinkSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import type { ContextEntry, EntryType } from './types.js';

function typeOf(st: BigIntStats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

function toEntry(root: string, rel: string, abs: string, st: BigIntStats): ContextEntry {
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
  if (type === 'file') entry.sig = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  return entry;
}

function vanished(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Stats `rel` under `root` without following a final symlink; undefined when it vanished. */
export async function statEntry(root: string, rel: string): Promise<ContextEntry | undefined> {
  const abs = rel === '.' ? root : path.join(root, rel);
  let st: BigIntStats;
  try {
    st = await fsp.lstat(abs, { bigint: true });
  } catch (e) {
    if (vanished(e)) return undefined;
    throw e;
  }
  const entry = toEntry(root, rel, abs, st);
  if (entry.type === 'symlink') entry.linkTarget = await fsp.readlink(abs);
  return entry;
}

/**
 * statEntry without the thread pool: for walks over many entries. A synchronous lstat of a
 * cached inode costs a few microseconds, a promise-based one several times that, and a
 * 100k-file context is walked on every build.
 */
export function statEntrySync(root: string, rel: string): ContextEntry | undefined {
  const abs = rel === '.' ? root : root.endsWith('/') ? root + rel : `${root}/${rel}`;
  let st: BigIntStats | undefined;
  try {
    st = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
  } catch (e) {
    if (vanished(e)) return undefined;
    throw e;
  }
  if (!st) return undefined;
  const entry = toEntry(root, rel, abs, st);
  if (entry.type === 'symlink') {
    try {
      entry.linkTarget = readlinkSync(abs);
    } catch (e) {
      if (vanished(e)) return undefined;
      throw e;
    }
  }
  return entry;
}
