// Snapshot metadata: one JSON database per storage root, replaced atomically under the root's lock.
import path from 'node:path';
import { TsbuildError, readJsonFile, writeFileAtomic } from '../core/index.js';
import { withLock } from '../core/index.js';
import type { SnapshotInfo, SnapshotKind } from './types.js';

export interface SnapshotRecord {
  /** Small number naming the snapshot's directory; short so overlay lowerdir lists stay short. */
  id: number;
  kind: SnapshotKind;
  parent?: string;
  created: string;
  labels?: Record<string, string>;
}

export interface MetadataDb {
  version: 1;
  /** Which implementation owns this root; overlay and native layouts cannot be mixed. */
  driver?: 'overlay' | 'native';
  nextId: number;
  snapshots: Record<string, SnapshotRecord>;
}

function emptyDb(): MetadataDb {
  return { version: 1, nextId: 1, snapshots: {} };
}

export function toInfo(key: string, r: SnapshotRecord): SnapshotInfo {
  return {
    key,
    kind: r.kind,
    created: r.created,
    ...(r.parent !== undefined ? { parent: r.parent } : {}),
    ...(r.labels ? { labels: { ...r.labels } } : {}),
  };
}

export class MetadataStore {
  private readonly dbFile: string;
  private readonly lockFile: string;

  constructor(readonly root: string) {
    this.dbFile = path.join(root, 'metadata.json');
    this.lockFile = path.join(root, 'lock');
  }

  /** A consistent snapshot of the database; safe without the lock since writers replace it atomically. */
  async read(): Promise<MetadataDb> {
    const db = await readJsonFile<MetadataDb>(this.dbFile);
    if (!db) return emptyDb();
    if (db.version !== 1 || typeof db.nextId !== 'number' || typeof db.snapshots !== 'object') {
      throw new TsbuildError('TSB4005', `snapshot metadata ${this.dbFile} has an unknown format`);
    }
    return db;
  }

  async get(key: string): Promise<SnapshotRecord | undefined> {
    return (await this.read()).snapshots[key];
  }

  async require(key: string): Promise<SnapshotRecord> {
    const r = await this.get(key);
    if (!r) throw new TsbuildError('TSB3009', `snapshot "${key}" does not exist`);
    return r;
  }

  /**
   * Runs `fn` on the current database under the lock; the database is written back when `fn`
   * returns true. Whatever else `fn` does (creating directories) also happens under the lock.
   */
  async update<T>(fn: (db: MetadataDb) => Promise<{ changed: boolean; result: T }>, signal?: AbortSignal): Promise<T> {
    return withLock(
      this.lockFile,
      async () => {
        const db = await this.read();
        const { changed, result } = await fn(db);
        if (changed) await writeFileAtomic(this.dbFile, JSON.stringify(db));
        return result;
      },
      signal ? { signal } : {},
    );
  }

  /** Parents from `key` down to the base: [key's record, parent's record, ...]. */
  async chain(key: string, db?: MetadataDb): Promise<Array<{ key: string; record: SnapshotRecord }>> {
    const snapshot = db ?? (await this.read());
    const out: Array<{ key: string; record: SnapshotRecord }> = [];
    const seen = new Set<string>();
    let cur: string | undefined = key;
    while (cur !== undefined) {
      if (seen.has(cur)) throw new TsbuildError('TSB4005', `snapshot metadata has a parent cycle at "${cur}"`);
      seen.add(cur);
      const record: SnapshotRecord | undefined = snapshot.snapshots[cur];
      if (!record) throw new TsbuildError('TSB3009', `snapshot "${cur}" does not exist`);
      out.push({ key: cur, record });
      cur = record.parent;
    }
    return out;
  }
}
