// Mount-point stubs: runc creates missing mount destinations inside the rootfs; these helpers find
// them beforehand and remove the empty ones afterwards so they never end up in a layer.
import { promises as fsp } from 'node:fs';
import path from 'node:path';

async function lstatOrUndefined(p: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await fsp.lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** Host paths under `rootfs` that do not exist yet but would be created for these mount destinations. */
export async function missingMountPoints(rootfs: string, destinations: string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const dest of destinations) {
    const parts = dest.split('/').filter((p) => p && p !== '.');
    if (parts.includes('..')) continue;
    let cur = rootfs;
    for (let i = 0; i < parts.length; i++) {
      cur = path.join(cur, parts[i] ?? '');
      const st = await lstatOrUndefined(cur);
      if (st === undefined) {
        let p = cur;
        out.add(p);
        for (const rest of parts.slice(i + 1)) {
          p = path.join(p, rest);
          out.add(p);
        }
        break;
      }
      // runc resolves symlinks inside the rootfs; what it creates behind one is not ours to track
      if (!st.isDirectory()) break;
    }
  }
  return [...out];
}

/** Removes the stubs that are still empty (directories, zero-length files), deepest first. */
export async function removeStubs(paths: string[]): Promise<string[]> {
  const removed: string[] = [];
  const ordered = [...paths].sort((a, b) => b.split('/').length - a.split('/').length || b.localeCompare(a));
  for (const p of ordered) {
    const st = await lstatOrUndefined(p);
    if (!st) continue;
    try {
      if (st.isDirectory()) await fsp.rmdir(p);
      else if (st.isFile() && st.size === 0) await fsp.unlink(p);
      else continue;
      removed.push(p);
    } catch {
      // not empty (the command wrote into it) or still busy: it stays
    }
  }
  return removed;
}
