// Content hashes of what a COPY/ADD selects, with a persistent stat cache so unchanged files are not re-read.
import { createReadStream, promises as fsp, readFileSync } from 'node:fs';
import { lazy, throwIfAborted, writeFileAtomic } from '../core/index.js';
import { PatternMatcher } from './patternmatcher.js';
import type { BuildContext, ContextEntry } from './types.js';

interface StatRecord {
  /** `dev:ino:size:mtimeNs:ctimeNs` — any change means the content must be read again. */
  stat: string;
  hash: string;
}

const HEADER = 'tsbuild-statcache 2\n';
const HEX64 = /^[0-9a-f]{64}$/;
const SIG = /^\d+:\d+:\d+:\d+:\d+$/;

/** A path as stored on a line: raw, unless a newline or a leading quote makes it ambiguous. */
function encodePath(p: string): string {
  return p.includes('\n') || p.includes('\r') || p.startsWith('"') ? JSON.stringify(p) : p;
}

function line(path: string, r: StatRecord): string {
  return `${r.hash} ${r.stat} ${encodePath(path)}\n`;
}

/** Parses the line log; torn or foreign lines are skipped (they only cost a re-read). */
function parseLog(text: string, into: Map<string, StatRecord>): number {
  let lines = 0;
  let at = HEADER.length;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const s1 = text.indexOf(' ', at);
    const s2 = s1 < 0 || s1 > end ? -1 : text.indexOf(' ', s1 + 1);
    if (s2 > 0 && s2 < end) {
      const hash = text.slice(at, s1);
      const stat = text.slice(s1 + 1, s2);
      let p: string | undefined = text.slice(s2 + 1, end);
      if (p.startsWith('"')) {
        try {
          const v: unknown = JSON.parse(p);
          p = typeof v === 'string' ? v : undefined;
        } catch {
          p = undefined;
        }
      }
      if (p !== undefined && p !== '' && HEX64.test(hash) && SIG.test(stat)) {
        into.set(p, { stat, hash });
        lines++;
      }
    }
    at = end + 1;
  }
  return lines;
}

/**
 * A per-context map of path → (stat signature, content hash). Files whose device, inode, size,
 * mtime and ctime are unchanged reuse the recorded hash without being read.
 *
 * On disk it is a line log: `save` appends only what changed since `open` (one fsync'd append,
 * so a build that changed one file of 100k writes one line), and rewrites the whole file
 * atomically when superseded lines outnumber live ones. A crash can leave a torn last line,
 * which the next `open` skips. Concurrent builds may append to the same log; the last line for
 * a path wins, and every line is a correct hash for its signature. The JSON object the first
 * version wrote is still read.
 */
export class StatCache {
  private entries = new Map<string, StatRecord>();
  private added: string[] = [];
  /** Lines in the file as loaded (live or superseded); decides when to compact. */
  private lines = 0;
  private format: 'none' | 'json' | 'log' = 'none';

  private constructor(private readonly file: string | undefined) {}

  static async open(file: string | undefined): Promise<StatCache> {
    const c = new StatCache(file);
    if (!file) return c;
    const text = await fsp.readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) return c;
    if (text.startsWith(HEADER)) {
      c.lines = parseLog(text, c.entries);
      c.format = 'log';
    } else if (text.startsWith('{')) {
      try {
        const data = JSON.parse(text) as unknown;
        if (data && typeof data === 'object') c.entries = new Map(Object.entries(data as Record<string, StatRecord>));
        c.format = 'json';
      } catch {
        // An unreadable cache is an empty one.
      }
    }
    return c;
  }

  lookup(path: string, stat: string): string | undefined {
    const r = this.entries.get(path);
    return r && r.stat === stat ? r.hash : undefined;
  }

  record(path: string, stat: string, hash: string): void {
    const r = this.entries.get(path);
    if (r && r.stat === stat && r.hash === hash) return;
    this.entries.set(path, { stat, hash });
    this.added.push(path);
  }

  async save(): Promise<void> {
    if (!this.file || this.added.length === 0) return;
    const live = this.entries.size;
    if (this.format !== 'log' || this.lines + this.added.length > 2 * live + 1024) {
      const parts = [HEADER];
      for (const [p, r] of this.entries) parts.push(line(p, r));
      await writeFileAtomic(this.file, parts.join(''));
      this.format = 'log';
      this.lines = live;
    } else {
      // The leading newline ends a line another writer may have left torn.
      const parts = ['\n'];
      for (const p of new Set(this.added)) {
        const r = this.entries.get(p);
        if (r) parts.push(line(p, r));
      }
      const fh = await fsp.open(this.file, 'a');
      try {
        await fh.appendFile(parts.join(''));
        await fh.sync();
      } finally {
        await fh.close();
      }
      this.lines += parts.length - 1;
    }
    this.added = [];
  }
}

/** Files up to this size are read whole and hashed in one call. */
const WHOLE_FILE_MAX = 1 << 20;
/** Below this size a synchronous read beats the four thread-pool round trips of an async one. */
const SYNC_READ_MAX = 64 * 1024;
/** Reads in flight while hashing; the thread pool has four threads, this keeps them busy. */
const HASH_PARALLEL = 16;

async function fileContentHash(abs: string, size: number, signal?: AbortSignal): Promise<string> {
  if (size <= WHOLE_FILE_MAX) {
    const buf = size <= SYNC_READ_MAX ? readFileSync(abs) : await fsp.readFile(abs, signal ? { signal } : {});
    // A file that grew past the limit meanwhile is still hashed as read: the same bytes as streaming.
    return lazy.blakeHash().blake3(buf).toString('hex');
  }
  const h = new (lazy.blakeHash().Blake3Hasher)();
  for await (const chunk of createReadStream(abs, { highWaterMark: 1 << 20, ...(signal ? { signal } : {}) })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The part of an entry the key sees: everything COPY carries over except timestamps. */
function describe(e: ContextEntry, content: string): string {
  // Kept readable (not hashed again) so a cache miss can say which of them changed.
  return `${e.type} ${(e.mode & 0o7777).toString(8)} ${e.uid}:${e.gid} ${e.linkTarget === undefined ? '-' : JSON.stringify(e.linkTarget)} ${content.slice(0, 32) || '-'}`;
}

/** A file's signature: from the walk's lstat when it has one, else from a fresh lstat. */
async function signatureOf(e: ContextEntry): Promise<string> {
  if (e.sig !== undefined) return e.sig;
  const st = await fsp.lstat(e.abs, { bigint: true });
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/** Runs `work` over `items` with at most `limit` in flight; the first failure rejects. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * Hashes exactly what `sources` select in `ctx` (directories recursively, .dockerignore and
 * `--exclude` applied), keyed by path relative to the context. Names are part of the result, so
 * renames and additions change it; unrelated files do not.
 */
export async function hashSelection(
  ctx: BuildContext,
  sources: readonly string[],
  o: { exclude?: readonly string[]; cache: StatCache; signal?: AbortSignal },
): Promise<Record<string, string>> {
  const excluded = o.exclude && o.exclude.length > 0 ? new PatternMatcher([...o.exclude]) : undefined;
  const walkOpts = o.signal ? { signal: o.signal } : {};
  // Keys in the order they are first met, so the result's own order is the same as a plain
  // sequential walk; file contents are filled in afterwards, several at a time.
  const order: Array<{ key: string; value?: string; entry?: ContextEntry }> = [];
  const add = (e: ContextEntry, rel: string): void => {
    if (excluded?.matchesOrParentMatches(rel)) return;
    order.push({ key: e.path, entry: e });
  };
  for (const e of await ctx.select([...sources], walkOpts)) {
    throwIfAborted(o.signal);
    // The word as written (e.g. a symlink followed to its target) is part of what is copied.
    if (e.matched !== e.path) order.push({ key: `${e.matched} ->`, value: e.path });
    add(e, e.path);
    if (e.type === 'dir') {
      let n = 0;
      for await (const child of ctx.walk(e.path, walkOpts)) {
        if ((++n & 1023) === 0) throwIfAborted(o.signal);
        add(child, e.path === '.' ? child.path : child.path.slice(e.path.length + 1));
      }
    }
  }
  const misses: Array<{ item: (typeof order)[number]; entry: ContextEntry; sig: string }> = [];
  for (const item of order) {
    const e = item.entry;
    if (!e) continue;
    if (e.type !== 'file') {
      item.value = describe(e, '');
      continue;
    }
    const sig = await signatureOf(e);
    const known = o.cache.lookup(e.path, sig);
    if (known) item.value = describe(e, known);
    else misses.push({ item, entry: e, sig });
  }
  await eachLimited(misses, HASH_PARALLEL, async (m) => {
    throwIfAborted(o.signal);
    const content = await fileContentHash(m.entry.abs, m.entry.size, o.signal);
    o.cache.record(m.entry.path, m.sig, content);
    m.item.value = describe(m.entry, content);
  });
  const out: Record<string, string> = {};
  for (const item of order) out[item.key] = item.value ?? '';
  return out;
}
