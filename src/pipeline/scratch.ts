// Removing a build's scratch directory safely: nothing is deleted through a mount still on it.
import { promises as fsp, rmdirSync } from 'node:fs';
import path from 'node:path';
import { listMountPoints, unmountAll } from '../snapshotter/index.js';

/** Mount points at or below `dir`, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const root = path.resolve(dir);
  const all = await listMountPoints().catch(() => [] as string[]);
  return all.filter((m) => m === root || m.startsWith(`${root}/`)).sort((a, b) => b.length - a.length);
}

/**
 * Unmounts whatever is still mounted below `dir`, then removes it. If a mount cannot be taken
 * off, the directory stays (a recursive delete would reach into the mounted snapshot) and a later
 * prune retries.
 */
export async function removeScratch(dir: string): Promise<void> {
  // An empty directory (a build that ran nothing) cannot hold a mount below it; a mount on the
  // directory itself makes rmdir fail with EBUSY and takes the careful path.
  try {
    rmdirSync(dir);
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
  }
  for (const m of await mountsUnder(dir)) await unmountAll(m).catch(() => undefined);
  if ((await mountsUnder(dir)).length > 0) return;
  await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
}
