// Small leaves copied on the calling thread: one open-copy-meta-close sequence, no thread-pool hops.
import { closeSync, constants, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, readSync, symlinkSync, unlinkSync, writeSync } from 'node:fs';
import { TsbuildError } from '../../core/index.js';
import { applyMetaSync, seconds, tolerateChownError, type Meta } from './meta.js';

/**
 * Files up to this size are copied synchronously. A thread-pool round trip costs more than
 * copying a small file outright; larger files stay asynchronous so one huge file neither
 * blocks the event loop nor serializes the copy.
 */
export const SYNC_MAX_BYTES = 256 * 1024;

const { O_WRONLY, O_CREAT, O_EXCL, O_RDONLY } = constants;
// Only ever used between two synchronous calls, so one buffer serves every copier.
const buffer = Buffer.allocUnsafe(SYNC_MAX_BYTES);

/** A freshly created leaf's metadata; its mode is always set (umask and default ACLs vary). */
export interface LeafMeta extends Meta {
  /** False when the creator's owner already is the wanted one. */
  chown: boolean;
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** Removes a non-directory at `target`; a directory there cannot be replaced by a leaf. */
export function clearLeafTargetSync(target: string): void {
  const st = lstatSync(target, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isDirectory()) throw new TsbuildError('TSB2107', `cannot replace directory ${target} with a non-directory`);
  unlinkSync(target);
}

/**
 * Runs an exclusive create; when something already exists at `target` it is cleared (as
 * clearLeafTargetSync) and the create is tried once more. Fresh targets cost no lstat.
 */
export function createReplacing<T>(target: string, create: () => T): T {
  try {
    return create();
  } catch (err) {
    if (errno(err) !== 'EEXIST') throw err;
  }
  clearLeafTargetSync(target);
  return create();
}

function copyData(from: number, to: number): void {
  let pos = 0;
  for (;;) {
    const n = readSync(from, buffer, 0, buffer.length, pos);
    if (n === 0) return;
    let written = 0;
    while (written < n) written += writeSync(to, buffer, written, n - written, pos + written);
    pos += n;
    // A short read of a regular file is its end; this saves the read that would return 0.
    if (n < buffer.length) return;
  }
}

/** Copies a regular file's content to a new file at `target`, then owner, mode and times via its fd. */
export function copyFileSync(src: string, target: string, m: LeafMeta): void {
  const from = openSync(src, O_RDONLY);
  try {
    const to = createReplacing(target, () => openSync(target, O_WRONLY | O_CREAT | O_EXCL, m.perm & 0o777));
    try {
      copyData(from, to);
      // chown first (it clears set-id bits), then chmod, then times.
      if (m.chown) {
        try {
          fchownSync(to, m.owner.uid, m.owner.gid);
        } catch (err) {
          tolerateChownError(err);
        }
      }
      fchmodSync(to, m.perm);
      futimesSync(to, seconds(m.atimeNs), seconds(m.mtimeNs));
    } finally {
      closeSync(to);
    }
  } finally {
    closeSync(from);
  }
}

/** Creates the symlink, then its owner and times (a symlink's mode means nothing). */
export function copySymlinkSync(linkTarget: string, target: string, m: LeafMeta): void {
  createReplacing(target, () => symlinkSync(linkTarget, target));
  if (m.chown) {
    try {
      lchownSync(target, m.owner.uid, m.owner.gid);
    } catch (err) {
      tolerateChownError(err);
    }
  }
  lutimesSync(target, seconds(m.atimeNs), seconds(m.mtimeNs));
}

/** Hard-links `target` to an earlier copy of the same inode and (re)applies its metadata. */
export function linkSyncTo(first: string, target: string, m: Meta): void {
  createReplacing(target, () => linkSync(first, target));
  applyMetaSync(target, m);
}

/**
 * Creates the directory (0700 until its metadata is applied at the end). Returns false when
 * a directory already exists there; any other entry there → TSB2107.
 */
export function makeDirSync(target: string, what: string): boolean {
  try {
    mkdirSync(target, 0o700);
    return true;
  } catch (err) {
    if (errno(err) !== 'EEXIST') throw err;
  }
  const st = lstatSync(target);
  if (!st.isDirectory()) throw new TsbuildError('TSB2107', `cannot copy directory ${what} onto non-directory ${target}`);
  return false;
}

/** The group a new entry in `dir` gets: the directory's own when it is the creator's too. */
export function dirGid(dir: string): number {
  return lstatSync(dir).gid;
}
