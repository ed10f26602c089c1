// The overlay and native snapshotters: shared metadata handling, differing only in storage layout and mounts.
import { mkdirSync, promises as fsp, readdirSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { TsbuildError, type Mount } from '../core/index.js';
import { MetadataStore, toInfo, type MetadataDb, type SnapshotRecord } from './metadata.js';
import { fsDir, layoutFor, nativeMounts, overlayMounts, snapshotDir, workDir, type Layout } from './layout.js';
import { runCommand } from '../core/index.js';
import { diskUsage } from './usage.js';
import type { DiffSource, SnapshotInfo, Snapshotter } from './types.js';

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new TsbuildError('TSB3012', 'snapshot key must be a non-empty string');
}

export class FsSnapshotter implements Snapshotter {
  private readonly meta: MetadataStore;
  private readonly layout: Layout;

  constructor(
    readonly name: 'overlay' | 'native',
    root: string,
  ) {
    this.meta = new MetadataStore(root);
    this.layout = layoutFor(root);
  }

  /** Drops directories a crash left without metadata (creation and removal happen under the lock). */
  async init(): Promise<void> {
    mkdirSync(this.layout.snapshotsDir, { recursive: true });
    mkdirSync(this.layout.trashDir, { recursive: true });
    if (await this.tidy()) return;
    await this.meta.update(async (db) => {
      if (db.driver !== undefined && db.driver !== this.name) {
        throw new TsbuildError('TSB3012', `snapshot root ${this.layout.root} belongs to the ${db.driver} snapshotter, not ${this.name}`);
      }
      const claim = db.driver === undefined;
      if (claim) db.driver = this.name;
      const known = new Set(Object.values(db.snapshots).map((r) => String(r.id)));
      for (const name of await fsp.readdir(this.layout.snapshotsDir)) {
        if (!known.has(name)) await fsp.rm(path.join(this.layout.snapshotsDir, name), { recursive: true, force: true });
      }
      for (const name of await fsp.readdir(this.layout.trashDir)) {
        await fsp.rm(path.join(this.layout.trashDir, name), { recursive: true, force: true });
      }
      return { changed: claim, result: undefined };
    });
  }

  /**
   * Whether the root needs no cleanup: driver claimed by this implementation, trash empty and
   * every snapshot directory known (read without the lock; a directory another process creates
   * meanwhile only sends us to the locked path, which decides for real).
   */
  private async tidy(): Promise<boolean> {
    const db = await this.meta.read();
    const dirs = readdirSync(this.layout.snapshotsDir);
    const trash = readdirSync(this.layout.trashDir);
    if (db.driver !== this.name || trash.length > 0) return false;
    const known = new Set(Object.values(db.snapshots).map((r) => String(r.id)));
    return dirs.every((d) => known.has(d));
  }

  async prepare(key: string, parent?: string, opts: { labels?: Record<string, string> } = {}): Promise<Mount[]> {
    const { id, parentIds } = await this.create(key, 'active', parent, opts.labels);
    const parentId = parentIds[0];
    if (this.name === 'native' && parentId !== undefined) {
      const r = await runCommand('cp', ['-a', '--reflink=auto', `${fsDir(this.layout, parentId)}/.`, `${fsDir(this.layout, id)}/`]);
      if (r.code !== 0) {
        await this.remove(key).catch(() => undefined);
        throw new TsbuildError('TSB3015', `copying snapshot "${parent ?? ''}" for "${key}" failed: ${(r.stderr || r.spawnError?.message || '').trim()}`);
      }
    }
    return this.mountsOf(id, 'active', parentIds);
  }

  async view(key: string, parent?: string): Promise<Mount[]> {
    const { id, parentIds } = await this.create(key, 'view', parent);
    return this.mountsOf(id, 'view', parentIds);
  }

  async mounts(key: string): Promise<Mount[]> {
    checkKey(key);
    const db = await this.meta.read();
    const [self, ...parents] = await this.meta.chain(key, db);
    if (!self || self.record.kind === 'committed') {
      throw new TsbuildError('TSB3012', `snapshot "${key}" is committed; prepare or view a child to mount it`);
    }
    return this.mountsOf(
      self.record.id,
      self.record.kind,
      parents.map((p) => p.record.id),
    );
  }

  async commit(name: string, key: string): Promise<void> {
    checkKey(name);
    checkKey(key);
    await this.meta.update(async (db) => {
      const rec = db.snapshots[key];
      if (!rec) throw new TsbuildError('TSB3009', `snapshot "${key}" does not exist`);
      if (rec.kind !== 'active') throw new TsbuildError('TSB3012', `snapshot "${key}" is ${rec.kind}; only active snapshots can be committed`);
      if (db.snapshots[name]) throw new TsbuildError('TSB3010', `snapshot "${name}" already exists`);
      db.snapshots[name] = { ...rec, kind: 'committed', created: new Date().toISOString() };
      delete db.snapshots[key];
      return { changed: true, result: undefined };
    });
  }

  async remove(key: string): Promise<void> {
    checkKey(key);
    const trashed = await this.meta.update(async (db) => {
      const rec = db.snapshots[key];
      if (!rec) throw new TsbuildError('TSB3009', `snapshot "${key}" does not exist`);
      const children = Object.entries(db.snapshots)
        .filter(([, r]) => r.parent === key)
        .map(([k]) => k);
      if (children.length > 0) {
        throw new TsbuildError('TSB3011', `snapshot "${key}" is the parent of ${children.map((c) => `"${c}"`).join(', ')}`);
      }
      delete db.snapshots[key];
      const trash = path.join(this.layout.trashDir, `${rec.id}-${randomBytes(4).toString('hex')}`);
      try {
        await fsp.rename(snapshotDir(this.layout, rec.id), trash);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      return { changed: true, result: trash };
    });
    await fsp.rm(trashed, { recursive: true, force: true });
  }

  async stat(key: string): Promise<SnapshotInfo | undefined> {
    const rec = await this.meta.get(key);
    return rec ? toInfo(key, rec) : undefined;
  }

  async walk(fn: (info: SnapshotInfo) => void | Promise<void>): Promise<void> {
    const db = await this.meta.read();
    const entries = Object.entries(db.snapshots).sort(([, a], [, b]) => a.id - b.id);
    for (const [key, rec] of entries) await fn(toInfo(key, rec));
  }

  async usage(key: string): Promise<{ size: number; inodes: number }> {
    const rec = await this.meta.require(key);
    return diskUsage(fsDir(this.layout, rec.id));
  }

  async diffSource(key: string): Promise<DiffSource> {
    const db = await this.meta.read();
    const rec = this.recordOf(db, key);
    if (rec.kind === 'view') throw new TsbuildError('TSB3012', `snapshot "${key}" is a view; it has no changes to diff`);
    const upper = fsDir(this.layout, rec.id);
    if (this.name === 'overlay') {
      const [, ...parents] = await this.meta.chain(key, db);
      return { kind: 'overlay', upper, lowers: parents.map((p) => fsDir(this.layout, p.record.id)) };
    }
    const parent = rec.parent === undefined ? undefined : this.recordOf(db, rec.parent);
    return parent ? { kind: 'compare', lower: fsDir(this.layout, parent.id), upper } : { kind: 'compare', upper };
  }

  async applyTarget(key: string): Promise<{ dir: string; format: 'overlay' | 'plain' }> {
    const rec = await this.meta.require(key);
    if (rec.kind !== 'active') throw new TsbuildError('TSB3012', `snapshot "${key}" is ${rec.kind}; layers are applied to active snapshots`);
    return { dir: fsDir(this.layout, rec.id), format: this.name === 'overlay' ? 'overlay' : 'plain' };
  }

  private recordOf(db: MetadataDb, key: string): SnapshotRecord {
    const rec = db.snapshots[key];
    if (!rec) throw new TsbuildError('TSB3009', `snapshot "${key}" does not exist`);
    return rec;
  }

  private async create(key: string, kind: 'active' | 'view', parent: string | undefined, labels?: Record<string, string>): Promise<{ id: number; parentIds: number[] }> {
    checkKey(key);
    return this.meta.update(async (db) => {
      if (db.snapshots[key]) throw new TsbuildError('TSB3010', `snapshot "${key}" already exists`);
      let parentIds: number[] = [];
      if (parent !== undefined) {
        const p = this.recordOf(db, parent);
        if (p.kind !== 'committed') throw new TsbuildError('TSB3012', `parent "${parent}" is ${p.kind}; only committed snapshots can be parents`);
        parentIds = (await this.meta.chain(parent, db)).map((c) => c.record.id);
      }
      const id = db.nextId++;
      await fsp.rm(snapshotDir(this.layout, id), { recursive: true, force: true });
      await fsp.mkdir(fsDir(this.layout, id), { recursive: true, mode: 0o755 });
      if (this.name === 'overlay' && kind === 'active') await fsp.mkdir(workDir(this.layout, id), { mode: 0o700 });
      const rec: SnapshotRecord = { id, kind, created: new Date().toISOString() };
      if (parent !== undefined) rec.parent = parent;
      if (labels && Object.keys(labels).length > 0) rec.labels = { ...labels };
      db.snapshots[key] = rec;
      return { changed: true, result: { id, parentIds } };
    });
  }

  private mountsOf(id: number, kind: 'active' | 'view', parentIds: number[]): Mount[] {
    const opts = { id, kind, parentIds };
    return this.name === 'overlay' ? overlayMounts(this.layout, opts) : nativeMounts(this.layout, opts);
  }
}
