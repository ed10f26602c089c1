// Build cache records: cache key → step result, with what produced the key (to explain misses).
import { closeSync, fstatSync, openSync, promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { blake3Hex, fsyncDir, readJsonFile, tempName, writeFileAtomic, type Digest } from '../core/index.js';

/** The inputs a cache key was computed from; kept so a later miss can say what changed. */
export interface CachePreimage {
  /** Canonical op definition (after expansion; never secret contents). */
  op: Record<string, unknown>;
  /** Keys of the input steps, in order. */
  inputs: string[];
  /** Names of the input steps (for explanations). */
  inputNames: string[];
  /** Digest of `files` (the key covers this, not the map). */
  filesDigest?: string;
  /**
   * Files read by the step: path → content hash (content, mode, owner, link target). Kept
   * beside the record, not in it: see CacheStore.
   */
  files?: Record<string, string>;
}

export interface CacheResult {
  snapshot?: string;
  layer?: { digest: Digest; diffId: Digest; size: number; mediaType: string };
  image?: { manifest: Digest };
  /** Layers from the base up to this step, for results imported from a shared cache. */
  chain?: Array<{ digest: Digest; diffId: Digest; size: number; mediaType: string }>;
  /** When the step first ran (ISO 8601): a rebuild from cache reports this time. */
  created?: string;
}

export interface CacheRecord {
  key: string;
  /** Identity of "the same step" across builds: Dockerfile, stage and step number. */
  step: string;
  /** e.g. `[build 3/6] RUN make` */
  name: string;
  text: string;
  location?: { file: string; line: number };
  result: CacheResult;
  preimage: CachePreimage;
  /** Bytes this record keeps alive (its layer blob and snapshot). */
  size: number;
  created: string;
  lastUsed: string;
  /** Set on a record found by content (COPY --from): the definition key it stands for. */
  aliasOf?: string;
}

/** Files maps without a record are removed once this old (a record may be on its way). */
const ORPHAN_GRACE_MS = 3600_000;

/** A record's last use is the mtime of its file, kept to the millisecond like the ISO strings. */
function lastUsedOf(mtimeMs: number): string {
  return new Date(Math.round(mtimeMs)).toISOString();
}

/**
 * Persistent cache records under `<root>/cache`.
 *
 * Lifecycle: `put` writes a record atomically (a crash leaves the old record or the new one);
 * `get` returns it and the caller must check that its snapshot and blobs still exist (records
 * never own them: GC removes records first, then what no record or tag references); `touch`
 * refreshes last use; `delete` removes a record. Safe for concurrent processes: every file is
 * replaced atomically and a record is immutable apart from `lastUsed`.
 *
 * `lastUsed` lives in the record file's mtime: a cache hit then costs one utimes instead of
 * rewriting (and fsyncing) the record. A crash can at worst lose that hint, never the record.
 *
 * A preimage's files map (the hashes of maybe 100k context files) lives in a side file,
 * `<key>.files`, written before the record and removed after it: a cache hit reads a record of
 * a few hundred bytes, and only explanations and `inspect` read the map.
 */
export class CacheStore {
  readonly dir: string;
  /** Step and alias of records read or written by this process (both immutable), for `touch`. */
  private readonly known = new Map<string, { step: string; aliasOf: string | undefined }>();

  constructor(root: string) {
    this.dir = path.join(path.resolve(root), 'cache');
  }

  private recordPath(key: string): string {
    return path.join(this.dir, 'records', `${key}.json`);
  }

  private filesPath(key: string): string {
    return path.join(this.dir, 'records', `${key}.files`);
  }

  private stepPath(step: string): string {
    return path.join(this.dir, 'steps', `${blake3Hex(step).slice(0, 40)}.json`);
  }

  /**
   * The record of `key`, with its preimage's files map unless `files` is false (a cache hit
   * needs only the result). Without its side file a record keeps only the map's digest.
   */
  async get(key: string, opts: { files?: boolean } = {}): Promise<CacheRecord | undefined> {
    if (!/^[0-9a-f]{16,128}$/.test(key)) return undefined;
    // Synchronous: a record is small, and a no-op build reads one per step on its critical path.
    let fd: number;
    try {
      fd = openSync(this.recordPath(key), 'r');
    } catch {
      return undefined;
    }
    let rec: CacheRecord;
    try {
      const st = fstatSync(fd);
      rec = JSON.parse(readFileSync(fd, 'utf8')) as CacheRecord;
      rec.lastUsed = lastUsedOf(st.mtimeMs);
      this.known.set(key, { step: rec.step, aliasOf: rec.aliasOf });
    } catch {
      // A torn or foreign file is treated as a miss, never as a result.
      return undefined;
    } finally {
      closeSync(fd);
    }
    if (opts.files !== false && rec.preimage && rec.preimage.files === undefined) {
      const files = await readJsonFile<Record<string, string>>(this.filesPath(key)).catch(() => undefined);
      if (files && typeof files === 'object') rec.preimage.files = files;
    }
    return rec;
  }

  async put(rec: CacheRecord): Promise<void> {
    const file = this.recordPath(rec.key);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const { files, ...preimage } = rec.preimage;
    if (files) await writeFileAtomic(this.filesPath(rec.key), JSON.stringify(files));
    const tmp = tempName(file);
    const when = new Date(rec.lastUsed);
    const fh = await fsp.open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(JSON.stringify({ ...rec, preimage }));
      if (!Number.isNaN(when.getTime())) await fh.utimes(when, when);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await fsp.rename(tmp, file);
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw e;
    }
    await fsyncDir(path.dirname(file));
    this.known.set(rec.key, { step: rec.step, aliasOf: rec.aliasOf });
    if (!rec.aliasOf) await writeFileAtomic(this.stepPath(rec.step), JSON.stringify({ step: rec.step, key: rec.key }));
  }

  async touch(key: string, when = new Date()): Promise<void> {
    const meta = this.known.get(key) ?? (await this.get(key, { files: false }), this.known.get(key));
    if (!meta) return;
    try {
      await fsp.utimes(this.recordPath(key), when, when);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    if (meta.aliasOf) return;
    // The pointer usually names this record already; rewriting it would only cost an fsync.
    const ptr = await readJsonFile<{ step?: unknown; key?: unknown }>(this.stepPath(meta.step)).catch(() => undefined);
    if (ptr?.key === key && ptr.step === meta.step) return;
    await writeFileAtomic(this.stepPath(meta.step), JSON.stringify({ step: meta.step, key }));
  }

  /** The record most recently written or used for the same step, with its files (to explain a miss). */
  async latestForStep(step: string): Promise<CacheRecord | undefined> {
    const ptr = await readJsonFile<{ key: string }>(this.stepPath(step)).catch(() => undefined);
    return ptr ? this.get(ptr.key) : undefined;
  }

  /** Every record, without its files map. */
  async list(): Promise<CacheRecord[]> {
    let names: string[];
    try {
      names = await fsp.readdir(path.join(this.dir, 'records'));
    } catch {
      return [];
    }
    // Without files maps: listing and collecting never need them.
    const recs = await Promise.all(names.filter((n) => n.endsWith('.json')).map((n) => this.get(n.slice(0, -5), { files: false })));
    return recs.filter((r): r is CacheRecord => r !== undefined);
  }

  async delete(key: string): Promise<void> {
    this.known.delete(key);
    await fsp.rm(this.recordPath(key), { force: true });
    await fsp.rm(this.filesPath(key), { force: true });
  }

  /** The file holding a record (for sizing; callers never write it directly). */
  fileOf(key: string): string {
    return this.recordPath(key);
  }

  /** Keys starting with `prefix` (lowercase hex); an empty prefix matches nothing. */
  async keysWithPrefix(prefix: string): Promise<string[]> {
    if (!/^[0-9a-f]+$/.test(prefix)) return [];
    let names: string[];
    try {
      names = await fsp.readdir(path.join(this.dir, 'records'));
    } catch {
      return [];
    }
    return names.filter((n) => n.endsWith('.json') && n.startsWith(prefix)).map((n) => n.slice(0, -5)).sort();
  }

  /**
   * Drops "latest record of this step" pointers whose record is gone; returns how many. Also
   * removes files maps left without a record (a crash between the two writes) once they are
   * an hour old: a build may be about to write the record of a newer one.
   */
  async sweepStepPointers(): Promise<number> {
    await this.sweepOrphanFiles();
    const dir = path.join(this.dir, 'steps');
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const n of names) {
      if (!n.endsWith('.json')) continue;
      const ptr = await readJsonFile<{ key?: unknown }>(path.join(dir, n)).catch(() => undefined);
      const key = typeof ptr?.key === 'string' ? ptr.key : undefined;
      if (key !== undefined && (await this.get(key, { files: false }))) continue;
      await fsp.rm(path.join(dir, n), { force: true });
      removed++;
    }
    return removed;
  }

  private async sweepOrphanFiles(): Promise<void> {
    const dir = path.join(this.dir, 'records');
    const names = await fsp.readdir(dir).catch(() => [] as string[]);
    const records = new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)));
    const horizon = Date.now() - ORPHAN_GRACE_MS;
    for (const n of names) {
      if (!n.endsWith('.files') || records.has(n.slice(0, -6))) continue;
      const st = await fsp.stat(path.join(dir, n)).catch(() => undefined);
      if (st && st.mtimeMs < horizon) await fsp.rm(path.join(dir, n), { force: true });
    }
  }
}
