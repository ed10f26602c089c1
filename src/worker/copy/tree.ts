// Copying entries and directory trees from a BuildContext into a host directory, cp -a style.
import { constants, promises as fsp } from 'node:fs';
import PQueue from 'p-queue';
import { throwIfAborted } from '../../core/index.js';
import type { BuildContext, ContextEntry } from '../../context/index.js';
import type { ModeChange } from './chmod.js';
import { FilterWalk, type TreeFilter } from './filter.js';
import { clearLeafTarget, makeSpecial } from './leaf-async.js';
import { copyFileSync, copySymlinkSync, dirGid, linkSyncTo, makeDirSync, SYNC_MAX_BYTES, type LeafMeta } from './leaf-sync.js';
import { applyMeta, applyMetaSync, setTimesSync, type Meta } from './meta.js';

const CONCURRENCY = 16;
/** Synchronous work between two turns of the event loop (signals, progress, queued copies). */
const YIELD_EVERY_FILES = 256;
const YIELD_EVERY_BYTES = 16 * 1024 * 1024;

export type { TreeFilter } from './filter.js';

export interface Owner {
  uid: number;
  gid: number;
}

export interface CopierOptions {
  source: BuildContext;
  chown?: Owner;
  chmod?: ModeChange;
  signal?: AbortSignal;
  /** Regular files up to this size are copied synchronously (default SYNC_MAX_BYTES); below 0, nothing is. */
  syncMaxBytes?: number;
}

/**
 * One COPY/ADD instruction's copy work. Directories, symlinks and small files are copied
 * synchronously as the walk yields them (a thread-pool round trip per syscall costs more than
 * the syscall); large files, special files and heredocs are queued with bounded concurrency.
 * Directory metadata is applied last (deepest first) so that writing children cannot disturb
 * directory mtimes or trip over read-only modes. Call finish() at the end.
 */
export class Copier {
  files = 0;
  bytes = 0;
  private readonly queue = new PQueue({ concurrency: CONCURRENCY });
  /** dev:ino → first copy of a multiply-linked file made by the queue. */
  private readonly firstLink = new Map<string, Promise<string>>();
  /** dev:ino → first copy of a multiply-linked file made synchronously. */
  private readonly syncLink = new Map<string, string>();
  /** Targets of queued copies that have not finished. */
  private readonly queued = new Set<string>();
  /**
   * Directory → whether entries created in it get the creator's group. Directories are only
   * chowned in finish(), so the answer holds for the whole copy.
   */
  private readonly creatorGroup = new Map<string, boolean>();
  private lastDir: string | undefined;
  private lastDirCreatorGroup = false;
  private readonly dirMeta: Array<{ target: string; meta: Meta; timesOnly: boolean }> = [];
  private readonly euid = process.geteuid?.() ?? -1;
  private readonly egid = process.getegid?.() ?? -1;
  private sinceYieldFiles = 0;
  private sinceYieldBytes = 0;
  private failure: unknown;

  constructor(private readonly opts: CopierOptions) {}

  private metaOf(e: ContextEntry): Meta {
    const owner = this.opts.chown ?? (this.opts.source.kind === 'context' ? { uid: 0, gid: 0 } : { uid: e.uid, gid: e.gid });
    const base = e.mode & 0o7777;
    const perm = this.opts.chmod ? this.opts.chmod.apply(base, e.type === 'dir') : base;
    return { owner, perm, atimeNs: e.atimeNs, mtimeNs: e.mtimeNs };
  }

  /** Which metadata calls a leaf created at `target` needs besides mode and times. */
  private leafMeta(m: Meta, target: string): LeafMeta {
    const chown = m.owner.uid !== this.euid || m.owner.gid !== this.egid || !this.creatorGroupAt(target);
    return { owner: m.owner, perm: m.perm, atimeNs: m.atimeNs, mtimeNs: m.mtimeNs, chown };
  }

  /**
   * Whether a new entry at `target` gets the creator's group. It takes its directory's group
   * (set-gid directory, grpid mount) or the creator's; when those agree, no question remains.
   */
  private creatorGroupAt(target: string): boolean {
    const cut = target.lastIndexOf('/');
    // Consecutive leaves mostly share a directory.
    if (this.lastDir !== undefined && this.lastDir.length === cut && target.startsWith(this.lastDir)) return this.lastDirCreatorGroup;
    const dir = target.slice(0, cut) || '/';
    let same = this.creatorGroup.get(dir);
    if (same === undefined) {
      same = dirGid(dir) === this.egid;
      this.creatorGroup.set(dir, same);
    }
    this.lastDir = dir;
    this.lastDirCreatorGroup = same;
    return same;
  }

  private syncable(e: ContextEntry): boolean {
    if (e.type === 'symlink') return (this.opts.syncMaxBytes ?? 0) >= 0;
    if (e.type !== 'file' || e.size > (this.opts.syncMaxBytes ?? SYNC_MAX_BYTES)) return false;
    return e.nlink <= 1 || !this.firstLink.has(`${e.dev}:${e.ino}`);
  }

  /** Copies a non-directory entry to `target`, replacing a non-directory there. */
  async copyLeaf(e: ContextEntry, target: string): Promise<void> {
    if (!this.syncable(e)) {
      this.queueLeaf(e, target);
      return;
    }
    // A queued copy to the same path must land first, as it came first.
    if (this.queued.has(target)) {
      await this.queue.onIdle();
      this.check();
    }
    this.copyLeafNow(e, target);
    if (++this.sinceYieldFiles >= YIELD_EVERY_FILES || this.sinceYieldBytes >= YIELD_EVERY_BYTES) await this.breathe();
  }

  private copyLeafNow(e: ContextEntry, target: string): void {
    const meta = this.metaOf(e);
    if (e.type === 'symlink') {
      copySymlinkSync(e.linkTarget ?? '', target, this.leafMeta(meta, target));
    } else {
      const key = e.nlink > 1 ? `${e.dev}:${e.ino}` : undefined;
      const first = key === undefined ? undefined : this.syncLink.get(key);
      if (first !== undefined) {
        linkSyncTo(first, target, meta);
      } else {
        copyFileSync(e.abs, target, this.leafMeta(meta, target));
        this.bytes += e.size;
        this.sinceYieldBytes += e.size;
        if (key !== undefined) this.syncLink.set(key, target);
      }
    }
    this.files++;
  }

  /** Lets the event loop run (signals, progress, queued copies) and stops when aborted. */
  private async breathe(): Promise<void> {
    this.sinceYieldFiles = 0;
    this.sinceYieldBytes = 0;
    await new Promise<void>((resolve) => setImmediate(resolve));
    throwIfAborted(this.opts.signal);
    this.check();
  }

  /** Queues the copy of a non-directory entry to `target`, replacing a non-directory there. */
  private queueLeaf(e: ContextEntry, target: string): void {
    let linkSource: Promise<string> | undefined;
    let first: { resolve: (p: string) => void; reject: (err: unknown) => void } | undefined;
    if (e.type === 'file' && e.nlink > 1) {
      const key = `${e.dev}:${e.ino}`;
      const synced = this.syncLink.get(key);
      linkSource = synced !== undefined ? Promise.resolve(synced) : this.firstLink.get(key);
      if (!linkSource) {
        const p = new Promise<string>((resolve, reject) => (first = { resolve, reject }));
        p.catch(() => undefined);
        this.firstLink.set(key, p);
      }
    }
    this.queued.add(target);
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
      })
      .finally(() => this.queued.delete(target));
  }

  /** Writes a file given by content (COPY heredocs): mode 0644 before --chmod, mtime now. */
  writeInline(content: string, target: string): void {
    const now = BigInt(Date.now()) * 1_000_000n;
    const perm = this.opts.chmod ? this.opts.chmod.apply(0o644, false) : 0o644;
    this.queued.add(target);
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
      })
      .finally(() => this.queued.delete(target));
  }

  /** Creates (or, for a nested existing directory, takes over) a directory at `target`. */
  private makeDir(e: ContextEntry, target: string): void {
    makeDirSync(target, e.matched);
    this.dirMeta.push({ target, meta: this.metaOf(e), timesOnly: false });
  }

  /**
   * Copies the contents of directory `top` into the existing directory `targetDir`. The
   * directory itself keeps its owner and mode but takes the source's timestamps.
   * Returns how many entries were copied.
   */
  async copyDirContents(top: ContextEntry, targetDir: string, filter: TreeFilter = {}): Promise<number> {
    this.dirMeta.push({ target: targetDir, meta: this.metaOf(top), timesOnly: true });
    const fw = new FilterWalk(filter);
    const seenDirs = new Map<string, ContextEntry>();
    const created = new Set<string>(['']);
    const prefix = top.path === '.' ? '' : top.path + '/';
    const into = targetDir.endsWith('/') ? targetDir : targetDir + '/';
    const walkOpts = {
      ...(fw.empty ? {} : { enter: (dir: ContextEntry): boolean => fw.enter(dir.path.slice(prefix.length)) }),
      ...(this.opts.signal ? { signal: this.opts.signal } : {}),
    };

    let copied = 0;
    for await (const e of this.opts.source.walk(top.path, walkOpts)) {
      if (this.failure) break;
      const rel = e.path.slice(prefix.length);
      const isDir = e.type === 'dir';
      if (!fw.empty) {
        if (isDir) seenDirs.set(rel, e);
        if (fw.skips(rel, isDir)) continue;
        // Parents skipped by the filters are created now that something inside them is copied.
        const slash = rel.lastIndexOf('/');
        if (slash >= 0 && !created.has(rel.slice(0, slash))) {
          const parts = rel.split('/');
          for (let i = 1; i < parts.length; i++) {
            const anc = parts.slice(0, i).join('/');
            if (created.has(anc)) continue;
            const ancEntry = seenDirs.get(anc);
            if (!ancEntry) throw new Error(`internal: walk yielded ${e.path} before its parent`);
            this.makeDir(ancEntry, into + anc);
            created.add(anc);
          }
        }
      }
      const target = into + rel;
      if (isDir) {
        this.makeDir(e, target);
        if (!fw.empty) created.add(rel);
      } else {
        await this.copyLeaf(e, target);
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
      if (d.timesOnly) setTimesSync(d.target, d.meta);
      else applyMetaSync(d.target, d.meta);
      if (++this.sinceYieldFiles >= YIELD_EVERY_FILES) await this.breathe();
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
