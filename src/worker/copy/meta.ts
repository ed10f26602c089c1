// Applying owner, mode and timestamps to copied entries (in the order that keeps set-id bits).
import { chmodSync, chownSync, promises as fsp, utimesSync } from 'node:fs';

const isRoot = process.getuid?.() === 0;

/** Without root privileges a refused ownership change is tolerated; anything else is rethrown. */
export function tolerateChownError(e: unknown): void {
  if (!isRoot && (e as NodeJS.ErrnoException).code === 'EPERM') return;
  throw e;
}

/** lchown/chown; without root privileges a refused ownership change is tolerated. */
export async function chownEntry(target: string, owner: { uid: number; gid: number }, isSymlink: boolean): Promise<void> {
  try {
    if (isSymlink) await fsp.lchown(target, owner.uid, owner.gid);
    else await fsp.chown(target, owner.uid, owner.gid);
  } catch (e) {
    tolerateChownError(e);
  }
}

export interface Meta {
  owner: { uid: number; gid: number };
  /** Permission bits (0o7777); ignored for symlinks. */
  perm: number;
  atimeNs: bigint;
  mtimeNs: bigint;
}

/** Timestamps as the fs API takes them (fractional seconds). */
export function seconds(ns: bigint): number {
  return Number(ns) / 1e9;
}

/** Sets times only (used for a pre-existing destination directory, whose owner and mode stay). */
export async function setTimes(target: string, m: Pick<Meta, 'atimeNs' | 'mtimeNs'>, isSymlink: boolean): Promise<void> {
  if (isSymlink) await fsp.lutimes(target, seconds(m.atimeNs), seconds(m.mtimeNs));
  else await fsp.utimes(target, seconds(m.atimeNs), seconds(m.mtimeNs));
}

/** chown first (it clears set-id bits), then chmod, then times. */
export async function applyMeta(target: string, m: Meta, isSymlink: boolean): Promise<void> {
  await chownEntry(target, m.owner, isSymlink);
  if (!isSymlink) await fsp.chmod(target, m.perm);
  await setTimes(target, m, isSymlink);
}

/** applyMeta for a non-symlink, without the thread pool (for many small entries in a row). */
export function applyMetaSync(target: string, m: Meta): void {
  try {
    chownSync(target, m.owner.uid, m.owner.gid);
  } catch (e) {
    tolerateChownError(e);
  }
  chmodSync(target, m.perm);
  utimesSync(target, seconds(m.atimeNs), seconds(m.mtimeNs));
}

/** setTimes for a non-symlink, without the thread pool. */
export function setTimesSync(target: string, m: Pick<Meta, 'atimeNs' | 'mtimeNs'>): void {
  utimesSync(target, seconds(m.atimeNs), seconds(m.mtimeNs));
}
