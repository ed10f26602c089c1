// Crash-safe file writing: temp name in the same directory, fsync, rename, fsync the directory.
import { promises as fsp, constants, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

export function tempName(target: string): string {
  return path.join(path.dirname(target), `.tmp-${path.basename(target)}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

export async function fsyncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    await fh.sync();
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  } finally {
    await fh?.close();
  }
}

/** Atomically replaces `target` with `data`. Readers see the old or the new content, never a mix. */
export async function writeFileAtomic(target: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await fsp.mkdir(path.dirname(target), { recursive: true });
  const tmp = tempName(target);
  const fh = await fsp.open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fsp.rename(tmp, target);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(path.dirname(target));
}

/**
 * Replaces `target` atomically (readers see the old or the new content) without forcing it to
 * disk: for files that mean nothing after a crash, such as a running process's lease.
 */
export async function writeFileVisible(target: string, data: string | Uint8Array): Promise<void> {
  // Synchronous: a small file with no fsync is cheaper than the thread-pool round trips.
  const tmp = tempName(target);
  writeFileSync(tmp, data);
  try {
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Reads a small JSON file (records, pointers, metadata). Read synchronously: one read from the
 * page cache costs far less than the four thread-pool round trips of an async readFile, and a
 * no-op build reads dozens of these in a row.
 */
export async function readJsonFile<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch {
    return false;
  }
}
