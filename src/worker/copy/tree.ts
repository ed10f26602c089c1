// Copying entries and directory trees from a BuildContext into a host directory, cp -a style.
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import PQueue from 'p-queue';
import { TsbuildError, throwIfAborted } from '../../core/index.js';
import type { BuildContext, ContextEntry, MatchInfo, PatternMatcher } from '../../context/index.js';
import { match } from '../../context/index.js';
import type { ModeChange } from './chmod.js';
import { applyMeta, setTimes, type Meta } from './meta.js';

const run = promisify(execFile);
const CONCURRENCY = 16;

export interface Owner {
  uid: number;
  gid: number;
}

export interface CopierOptions {
  source: BuildContext;
  chown?: Owner;
  chmod?: ModeChange;
  signal?: AbortSignal;
}

/** Filters applied below a directory source, relative to it (BuildKit's include/exclude). */
export interface TreeFilter {
  exclude?: PatternMatcher;
  include?: PatternMatcher;
}

interface FilterState {
  excluded: boolean;
  included: boolean;
  excludeInfo: MatchInfo | undefined;
  includeInfo: MatchInfo | undefined;
}

/**
 * One COPY/ADD instruction's copy work. Leaves are copied with bounded concurrency;
 * directory metadata is applied last (deepest first) so that writing children cannot
 * disturb directory mtimes or trip over read-only modes. Call finish() at the end.
 */
export class Copier {
  files = 0;
  bytes = 0;
  private readonly queue = new PQueue({ concurrency: CONCURRENCY });
  private readonly firstLink = new Map<string, Promise<string>>();
  private readonly dirMeta: Array<{ target: string; meta: Meta; timesOnly: boolean }> = [];
  private failure: unknown;

  constructor(private readonly opts: CopierOptions) {}

  private metaOf(e: ContextEntry): Meta {
    const owner = this.opts.chown ?? (this.opts.source.kind === 'context' ? { uid: 0, gid: 0 } : { uid: e.uid, gid: e.gid });
    const base = e.mode & 0o7777;
    const perm = this.opts.chmod ? this.opts.chmod.apply(base, e.type === 'dir') : base;
    return { owner, perm, atimeNs: e.atimeNs, mtimeNs: e.mtimeNs };
  }

  /** Queues the copy of a non-directory entry to `target`, replacing a non-directory there. */
  copyLeaf(e: ContextEntry, target: string): void {
    let linkSource: Promise<string> | undefined;
    let first: { resolve: (p: string) => void; reject: (err: unknown) => void } | undefined;
    if (e.type === 'file' && e.nlink > 1) {
      const key = `${e.dev}:${e.ino}`;
      linkSource = this.firstLink.get(key);
      if (!linkSource) {
        const p = new Promise<string>((resolve, reject) => (first = { resolve, reject }));
        p.catch(() => undefined);
        this.firstLink.set(key, p);
      }
    }
    void this.queue
      .add(async () => {
        throwIfAborted(this.opts.signal);
        await clearLeafTarget(target);
        if (linkSource) {
          await fsp.link(await linkSource, target);
        } else if (e.type === 'file') {
          await fsp.copyFile(e.abs, target, constants.COPYFILE_FICLONE);
          this.bytes += e.size;
        } else if (e.type === 'symlink') {
          await fsp.symlink(e.linkTarget ?? '', target);
        } else {
          await makeSpecial(e, target);
          if ((e.mode & 0o170000) === 0o140000) return;
        }
        await applyMeta(target, this.metaOf(e), e.type === 'symlink');
        this.files++;
        first?.resolve(target);
      })
      .catch((err: unknown) => {
        // Later links to this inode must not wait for a copy that will never exist.
        first?.reject(err);
        this.failure ??= err;
        this.queue.clear();
      });
  }

  /** Writes a file given by content (COPY heredocs): mode 0644 before --chmod, mtime now. */
  writeInline(content: string, target: string): void {
    const now = BigInt(Date.now()) * 1_000_000n;
    const perm = this.opts.chmod ? this.opts.chmod.apply(0o644, false) : 0o644;
    void this.queue
      .add(async () => {
        await clearLeafTarget(target);
        await fsp.writeFile(target, content, { mode: 0o600 });
        await applyMeta(target, { owner: this.opts.chown ?? { uid: 0, gid: 0 }, perm, atimeNs: now, mtimeNs: now }, false);
        this.files++;
        this.bytes += Buffer.byteLength(content);
      })
      .catch((err: unknown) => {
        this.failure ??= err;
        this.queue.clear();
      });
  }

  /** Creates (or, for a nested existing directory, takes over) a directory at `target`. */
  private async makeDir(e: ContextEntry, target: string): Promise<void> {
    let st;
    try {
      st = await fsp.lstat(target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (st && !st.isDirectory()) throw new TsbuildError('TSB2107', `cannot copy directory ${e.matched} onto non-directory ${target}`);
    if (!st) await fsp.mkdir(target, { mode: 0o700 });
    this.dirMeta.push({ target, meta: this.metaOf(e), timesOnly: false });
  }

  /**
   * Copies the contents of directory `top` into the existing directory `targetDir`. The
   * directory itself keeps its owner and mode but takes the source's timestamps.
   * Returns how many entries were copied.
   */
  async copyDirContents(top: ContextEntry, targetDir: string, filter: TreeFilter = {}): Promise<number> {
    this.dirMeta.push({ target: targetDir, meta: this.metaOf(top), timesOnly: true });
    const states = new Map<string, FilterState>();
    const seenDirs = new Map<string, ContextEntry>();
    const created = new Set<string>(['']);
    const prefix = top.path === '.' ? '' : top.path + '/';
    const relOf = (e: ContextEntry): string => e.path.slice(prefix.length);

    const stateFor = (rel: string): FilterState => {
      const hit = states.get(rel);
      if (hit) return hit;
      const slash = rel.lastIndexOf('/');
      const parent = slash < 0 ? undefined : stateFor(rel.slice(0, slash));
      const ex = filter.exclude?.matchesUsingParentResults(rel, parent?.excludeInfo);
      const inc = filter.include?.matchesUsingParentResults(rel, parent?.includeInfo);
      const s: FilterState = {
        excluded: ex?.matched ?? false,
        included: inc ? inc.matched : true,
        excludeInfo: ex?.info,
        includeInfo: inc?.info,
      };
      states.set(rel, s);
      return s;
    };
    const enter = (dir: ContextEntry): boolean => {
      const rel = relOf(dir);
      const s = stateFor(rel);
      if (s.excluded && !(filter.exclude?.hasExclusions ?? false)) return false;
      if (!s.included && filter.include && !couldMatchBelow(filter.include, rel)) return false;
      return true;
    };

    let copied = 0;
    for await (const e of this.opts.source.walk(top.path, { enter, ...(this.opts.signal ? { signal: this.opts.signal } : {}) })) {
      if (this.failure) break;
      const rel = relOf(e);
      if (e.type === 'dir') seenDirs.set(rel, e);
      const s = stateFor(rel);
      if (s.excluded || !s.included) continue;
      // Parents skipped by the filters are created now that something inside them is copied.
      const parts = rel.split('/');
      for (let i = 1; i < parts.length; i++) {
        const anc = parts.slice(0, i).join('/');
        if (created.has(anc)) continue;
        const ancEntry = seenDirs.get(anc);
        if (!ancEntry) throw new Error(`internal: walk yielded ${e.path} before its parent`);
        await this.makeDir(ancEntry, path.join(targetDir, anc));
        created.add(anc);
      }
      const target = path.join(targetDir, rel);
      if (e.type === 'dir') {
        await this.makeDir(e, target);
        created.add(rel);
      } else {
        this.copyLeaf(e, target);
      }
      copied++;
    }
    return copied;
  }

  /** Waits for queued copies, then applies directory metadata deepest first. */
  async finish(): Promise<void> {
    await this.queue.onIdle();
    if (this.failure) throw this.failure;
    throwIfAborted(this.opts.signal);
    for (let i = this.dirMeta.length - 1; i >= 0; i--) {
      const d = this.dirMeta[i];
      if (!d) continue;
      if (d.timesOnly) await setTimes(d.target, d.meta, false);
      else await applyMeta(d.target, d.meta, false);
    }
  }

  /** After a failure elsewhere: drops queued work and waits for running copies to stop. */
  async abandon(): Promise<void> {
    this.queue.clear();
    await this.queue.onIdle();
  }

  /** Counts work done outside the copier (an extracted archive). */
  count(files: number, bytes: number): void {
    this.files += files;
    this.bytes += bytes;
  }

  /** Rethrows the first failure of a queued copy, if any (callers check between sources). */
  check(): void {
    if (this.failure) throw this.failure;
  }
}

async function clearLeafTarget(target: string): Promise<void> {
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
async function makeSpecial(e: ContextEntry, target: string): Promise<void> {
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

/** Whether some include pattern could still match below `dir` (used to prune the walk). */
function couldMatchBelow(include: PatternMatcher, dir: string): boolean {
  const dparts = dir.split('/');
  return include.patterns.some((p) => {
    if (p.exclusion) return false;
    const comps = p.text.split('/');
    for (let i = 0; i < dparts.length; i++) {
      const c = comps[i];
      if (c === undefined || c.includes('**')) return true;
      try {
        if (!match(c, dparts[i] as string)) return false;
      } catch {
        return true;
      }
    }
    return true;
  });
}
