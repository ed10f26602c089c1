// Helpers shared by the layer tests: temp dirs, tar building/reading, tree snapshots.
import { mkdtemp, readdir, lstat, readFile, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { header, packTar } from './tar-write.js';
import { readTar } from './tar-read.js';
import type { TarHeader } from './tar-format.js';

export async function tempDir(prefix = 'tsb-layer-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export type Spec = Partial<TarHeader> & Pick<TarHeader, 'name' | 'type'> & { content?: string | Buffer };

export function makeTar(specs: Spec[]): Readable {
  return packTar(
    specs.map((s) => {
      const data = s.content === undefined ? undefined : Buffer.from(s.content);
      const h = header({ ...s, ...(data ? { size: data.length } : {}) });
      return data ? { header: h, data } : { header: h };
    }),
  );
}

export interface ReadEntry {
  header: TarHeader;
  content: Buffer;
}

export async function listTar(tar: Readable | Buffer): Promise<ReadEntry[]> {
  const src = Buffer.isBuffer(tar) ? Readable.from([tar]) : tar;
  const out: ReadEntry[] = [];
  for await (const e of readTar(src)) {
    const chunks: Buffer[] = [];
    for await (const c of e.body) chunks.push(c);
    out.push({ header: e.header, content: Buffer.concat(chunks) });
  }
  return out;
}

export { buffer };

/** A comparable description of everything under dir (type, mode, owner, mtime, content). */
export async function snapshotTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(rel: string): Promise<void> {
    const abs = path.join(dir, rel);
    const st = await lstat(abs);
    let extra = '';
    if (st.isSymbolicLink()) extra = `-> ${await readlink(abs)}`;
    else if (st.isFile()) extra = (await readFile(abs)).toString('base64');
    out.push(`${rel} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.mtimeMs} ${extra}`);
    if (st.isDirectory()) for (const n of (await readdir(abs)).sort()) await walk(rel ? `${rel}/${n}` : n);
  }
  await walk('');
  return out;
}
