// Applying owner, mode and timestamps to copied entries (in the order that keeps set-id bits).
import { promises as fsp } from 'node:fs';

const isRoot = process.getuid?.() === 0;

/** lchown/chown; without root privileges a refused ownership change is tolerated. */
export async function chownEntry(target: string, owner: { uid: number; gid: number }, isSymlink: boolean): Promise<void> {
  try {
    if (isSymlink) await fsp.lchown(target, owner.uid, owner.gid);
    else await fsp.chown(target, owner.uid, owner.gid);
  } catch (e) {
    if (!isRoot && (e as NodeJS.ErrnoException).code === 'EPERM') return;
    throw e;
  }
}

export interface Meta {
  owner: { uid: number; gid: number };
  /** Permission bits (0o7777); ignored for symlinks. */
  perm: number;
  atimeNs: bigint;
  mtimeNs: bigint;
}

function seconds(ns: bigint): number {
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
