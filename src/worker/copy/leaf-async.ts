// Leaves copied through the thread pool: large files, device nodes and FIFOs.
import { promises as fsp } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TsbuildError } from '../../core/index.js';
import type { ContextEntry } from '../../context/index.js';

const run = promisify(execFile);

/** Removes a non-directory at `target`; a directory there cannot be replaced by a leaf. */
export async function clearLeafTarget(target: string): Promise<void> {
  let st;
  try {
    st = await fsp.lstat(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (st.isDirectory()) throw new TsbuildError('TSB2107', `cannot replace directory ${target} with a non-directory`);
  await fsp.unlink(target);
}

/** Device nodes and FIFOs; sockets are not reproducible and are skipped. */
export async function makeSpecial(e: ContextEntry, target: string): Promise<void> {
  const fmt = e.mode & 0o170000;
  if (fmt === 0o010000) {
    await run('mknod', [target, 'p']);
    return;
  }
  if (fmt === 0o020000 || fmt === 0o060000) {
    const major = Math.floor(e.rdev / 256) & 0xfff;
    const minor = (e.rdev & 0xff) | ((Math.floor(e.rdev / 4096) & 0xfff00) >>> 0);
    await run('mknod', [target, fmt === 0o020000 ? 'c' : 'b', String(major), String(minor)]);
    return;
  }
  if (fmt === 0o140000) return;
  throw new TsbuildError('TSB2107', `cannot copy special file ${e.matched}`);
}
