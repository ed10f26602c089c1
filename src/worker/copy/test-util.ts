// Test fixtures for the COPY engine: temporary context and destination roots.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openContext, type BuildContext } from '../../context/index.js';
import { copyFiles } from './copy.js';
import type { CopyRequest, CopyResult } from './types.js';

export interface Fixture {
  ctxDir: string;
  root: string;
  write(rel: string, content?: string, mode?: number): Promise<void>;
  ctx(): Promise<BuildContext>;
  copy(req: Partial<CopyRequest> & { sources: string[]; dest: string }): Promise<CopyResult>;
  inRoot(p: string): string;
  cleanup(): Promise<void>;
}

export async function fixture(): Promise<Fixture> {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-copy-'));
  const ctxDir = path.join(base, 'ctx');
  const root = path.join(base, 'root');
  await fsp.mkdir(ctxDir);
  await fsp.mkdir(root);
  const f: Fixture = {
    ctxDir,
    root,
    async write(rel, content = rel, mode) {
      const p = path.join(ctxDir, rel);
      await fsp.mkdir(path.dirname(p), { recursive: true });
      await fsp.writeFile(p, content);
      if (mode !== undefined) await fsp.chmod(p, mode);
    },
    ctx: () => openContext(ctxDir),
    async copy(req) {
      return copyFiles({
        source: req.source ?? (await openContext(ctxDir)),
        destRoot: root,
        workdir: '/',
        exclude: [],
        parents: false,
        mode: 'copy',
        ...req,
      });
    },
    inRoot: (p) => path.join(root, p),
    cleanup: () => fsp.rm(base, { recursive: true, force: true }),
  };
  return f;
}

/** Lists every path under dir (relative, sorted), with a trailing '/' on directories. */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function rec(rel: string): Promise<void> {
    for (const d of await fsp.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      out.push(d.isDirectory() ? r + '/' : r);
      if (d.isDirectory()) await rec(r);
    }
  }
  await rec('');
  return out.sort();
}

export async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (e === undefined) return undefined;
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : String(e);
}
