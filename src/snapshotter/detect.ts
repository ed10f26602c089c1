// Decides whether overlayfs works on a storage root by trying one real mount there (once per root).
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { mountAll, unmountAll } from './mount.js';

const cache = new Map<string, Promise<boolean>>();

function kernelKnowsOverlay(): boolean {
  try {
    return /\toverlay$/m.test(readFileSync('/proc/filesystems', 'utf8'));
  } catch {
    return false;
  }
}

async function probe(root: string): Promise<boolean> {
  if (process.getuid?.() !== 0 || !kernelKnowsOverlay()) return false;
  const dir = path.join(root, `.overlay-probe-${process.pid}-${randomBytes(3).toString('hex')}`);
  const [l1, l2, upper, work, merged] = ['l1', 'l2', 'upper', 'work', 'merged'].map((n) => path.join(dir, n)) as [string, string, string, string, string];
  try {
    await Promise.all([l1, l2, upper, work, merged].map((d) => fsp.mkdir(d, { recursive: true })));
    await fsp.writeFile(path.join(l2, 'probe'), 'ok');
    await mountAll([{ type: 'overlay', source: 'overlay', options: [`workdir=${work}`, `upperdir=${upper}`, `lowerdir=${l1}:${l2}`] }], merged);
    try {
      await fsp.rm(path.join(merged, 'probe'));
      // the deletion must show up as a whiteout in the upper dir, or layer diffs would be wrong
      const st = await fsp.lstat(path.join(upper, 'probe'));
      return st.isCharacterDevice() && st.rdev === 0;
    } finally {
      await unmountAll(merged);
    }
  } catch {
    return false;
  } finally {
    await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** True when an overlay mount with whiteouts works on `root`'s filesystem (needs root). */
export function overlaySupported(root: string): Promise<boolean> {
  const key = path.resolve(root);
  let p = cache.get(key);
  if (!p) {
    p = probe(key);
    cache.set(key, p);
  }
  return p;
}
