// RUN --mount: turns bind, cache, tmpfs and secret mount specs into runtime mounts for one run.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { blake3Hex, TsbuildError } from '../core/index.js';
import { withLock } from '../content/index.js';
import type { ExecOp, FileSource, RunMount } from '../graph/index.js';
import type { ExecMount } from '../executor/index.js';
import { mountAll, unmountAll } from '../snapshotter/index.js';
import type { OpResult } from '../solver/index.js';
import { resolveInRoot } from './copy/index.js';
import type { WorkerDeps } from './deps.js';
import { snapshotOf } from './step.js';

export interface PreparedMounts {
  mounts: ExecMount[];
  /** Extra environment (secrets exposed as env=). */
  env: string[];
  release(): Promise<void>;
}

export async function prepareRunMounts(deps: WorkerDeps, op: ExecOp, inputs: readonly OpResult[], signal: AbortSignal): Promise<PreparedMounts> {
  const cleanups: Array<() => Promise<void>> = [];
  const mounts: ExecMount[] = [];
  const env: string[] = [];
  const scratch = path.join(deps.tmpDir, `run-${randomBytes(6).toString('hex')}`);
  await fsp.mkdir(scratch, { recursive: true });
  cleanups.push(() => fsp.rm(scratch, { recursive: true, force: true }));
  const release = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    for (const [i, m] of op.mounts.entries()) {
      const here = path.join(scratch, String(i));
      const added = await prepareOne(deps, m, inputs, { dir: here, signal, cleanups, env });
      if (added) mounts.push(added);
    }
  } catch (e) {
    await release();
    throw e;
  }
  return { mounts, env, release };
}

interface Scope {
  dir: string;
  signal: AbortSignal;
  cleanups: Array<() => Promise<void>>;
  env: string[];
}

/** A directory holding the filesystem a mount reads from (a stage/image view or a named context). */
async function sourceDir(deps: WorkerDeps, from: FileSource, inputs: readonly OpResult[], writable: boolean, s: Scope): Promise<string> {
  if (from.type === 'context') {
    const ctx = deps.contexts.get(from.name);
    if (!ctx) throw new TsbuildError('TSB2011', `build context "${from.name}" was not provided`);
    if (!writable) return ctx.root;
    // Writes to a rw bind of the context land in a throwaway overlay upper, never in the context.
    const mnt = path.join(s.dir, 'ctx');
    await fsp.mkdir(path.join(s.dir, 'upper'), { recursive: true });
    await fsp.mkdir(path.join(s.dir, 'work'), { recursive: true });
    await fsp.mkdir(mnt, { recursive: true });
    await mountAll([{ type: 'overlay', source: 'overlay', options: [`lowerdir=${ctx.root}`, `upperdir=${path.join(s.dir, 'upper')}`, `workdir=${path.join(s.dir, 'work')}`] }], mnt);
    s.cleanups.push(() => unmountAll(mnt));
    return mnt;
  }
  const parent = await snapshotOf(deps, inputs[from.index], s.signal);
  const key = `mnt-${randomBytes(6).toString('hex')}`;
  const ms = writable ? await deps.snapshotter.prepare(key, parent) : await deps.snapshotter.view(key, parent);
  s.cleanups.push(() => deps.snapshotter.remove(key));
  const mnt = path.join(s.dir, 'src');
  await fsp.mkdir(mnt, { recursive: true });
  await mountAll(ms, mnt);
  s.cleanups.push(() => unmountAll(mnt));
  return mnt;
}

async function prepareOne(deps: WorkerDeps, m: RunMount, inputs: readonly OpResult[], s: Scope): Promise<ExecMount | undefined> {
  await fsp.mkdir(s.dir, { recursive: true });
  switch (m.type) {
    case 'bind': {
      const root = await sourceDir(deps, m.from, inputs, !m.readonly, s);
      const src = await resolveInRoot(root, m.source);
      return { destination: m.target, type: 'bind', source: src, options: ['rbind', m.readonly ? 'ro' : 'rw'] };
    }
    case 'tmpfs':
      return { destination: m.target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', ...(m.size ? [`size=${m.size}`] : [])] };
    case 'secret': {
      const value = deps.secrets.get(m.id);
      if (value === undefined) {
        if (m.required) throw new TsbuildError('TSB3005', `secret "${m.id}" is required: pass it with --secret id=${m.id},src=FILE`);
        return undefined;
      }
      if (m.env !== undefined) s.env.push(`${m.env}=${value.toString('utf8')}`);
      if (m.target === '') return undefined;
      // in memory only: a secret never touches the store's disk, even if the build is killed
      const holder = path.join(s.dir, 'secret-fs');
      await fsp.mkdir(holder, { recursive: true });
      await mountAll([{ type: 'tmpfs', source: 'tmpfs', options: ['mode=0700', `size=${Math.max(4096, value.length * 2)}`] }], holder);
      s.cleanups.push(() => unmountAll(holder));
      const file = path.join(holder, 'secret');
      await fsp.writeFile(file, value, { mode: m.mode });
      await fsp.chmod(file, m.mode);
      await fsp.chown(file, m.uid, m.gid);
      return { destination: m.target, type: 'bind', source: file, options: ['rbind', 'ro', 'nosuid', 'nodev', 'noexec'] };
    }
    case 'cache':
      return prepareCache(deps, m, inputs, s);
  }
}

async function prepareCache(deps: WorkerDeps, m: Extract<RunMount, { type: 'cache' }>, inputs: readonly OpResult[], s: Scope): Promise<ExecMount> {
  const base = path.join(deps.cacheMountsDir, blake3Hex(m.id).slice(0, 32));
  const dir = path.join(base, 'data');
  const lockFile = path.join(base, 'lock');
  await fsp.mkdir(base, { recursive: true });
  if (!(await fsp.stat(dir).catch(() => undefined))) {
    const fresh = `${dir}.new-${randomBytes(4).toString('hex')}`;
    if (m.from !== undefined) {
      const src = await resolveInRoot(await sourceDir(deps, m.from, inputs, false, s), m.source);
      await fsp.cp(src, fresh, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    } else await fsp.mkdir(fresh);
    await fsp.chmod(fresh, m.mode);
    await fsp.chown(fresh, m.uid, m.gid);
    await fsp.rename(fresh, dir).catch(async () => fsp.rm(fresh, { recursive: true, force: true }));
  }
  let source = dir;
  if (m.sharing === 'locked') {
    // Held for the whole run: concurrent users of a locked cache wait for each other.
    await new Promise<void>((ready, failed) => {
      const held = withLock(lockFile, () => new Promise<void>((releaseLock) => {
        ready();
        s.cleanups.push(async () => releaseLock());
      }), { signal: s.signal });
      held.catch(failed);
    });
  } else if (m.sharing === 'private') {
    const priv = path.join(s.dir, 'private-cache');
    await fsp.cp(dir, priv, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    source = priv;
  }
  return { destination: m.target, type: 'bind', source, options: ['rbind', m.readonly ? 'ro' : 'rw'] };
}
