// Mounts that builds killed mid-step left behind: found in mountinfo by the store paths they use.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { unmountAll } from '../snapshotter/index.js';

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Mount points (named tsbuild-mnt-*) whose source, root or options name this store's snapshot dirs. */
export async function storeMounts(snapshotsRoot: string): Promise<string[]> {
  const text = await fsp.readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const needle = `${path.resolve(snapshotsRoot)}/`;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const mp = fields[4];
    if (mp === undefined || !path.basename(unescapeMountinfo(mp)).startsWith('tsbuild-mnt-')) continue;
    if (unescapeMountinfo(line).includes(needle)) out.push(unescapeMountinfo(mp));
  }
  // Deepest first, so stacked mounts come off in order.
  return out.sort((a, b) => b.length - a.length);
}

/** Unmounts and removes each mount point; returns how many went. Failures are left for a later GC. */
export async function releaseMounts(points: readonly string[]): Promise<number> {
  let n = 0;
  for (const p of points) {
    try {
      await unmountAll(p);
      await fsp.rmdir(p).catch(() => undefined);
      n++;
    } catch {
      // still busy: a later GC tries again
    }
  }
  return n;
}
