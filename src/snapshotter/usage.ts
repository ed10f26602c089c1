// Disk usage of one directory tree, counted like du: allocated blocks, hard links once.
import { promises as fsp } from 'node:fs';
import path from 'node:path';

export async function diskUsage(dir: string): Promise<{ size: number; inodes: number }> {
  const seen = new Set<string>();
  let size = 0;
  let inodes = 0;
  const visit = async (p: string): Promise<void> => {
    let st;
    try {
      st = await fsp.lstat(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) return;
    seen.add(id);
    inodes++;
    size += st.blocks * 512;
    if (st.isDirectory()) {
      for (const name of await fsp.readdir(p)) await visit(path.join(p, name));
    }
  };
  await visit(dir);
  return { size, inodes };
}
