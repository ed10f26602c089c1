// Content hashes of what a COPY/ADD selects, with a persistent stat cache so unchanged files are not re-read.
import { createReadStream, promises as fsp, readFileSync } from 'node:fs';
import { lazy, throwIfAborted } from '../core/index.js';
import { PatternMatcher } from './patternmatcher.js';
import type { StatCache } from './statcache.js';
import type { BuildContext, ContextEntry, EntryType, ScanEntry } from './types.js';

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

/** What the key sees of one entry: everything COPY carries over except timestamps. */
interface Described {
  type: EntryType;
  /** Permission bits. */
  perm: number;
  uid: number;
  gid: number;
  linkTarget?: string;
}

function describe(e: Described, content: string): string {
  // Kept readable (not hashed again) so a cache miss can say which of them changed.
  return `${e.type} ${e.perm.toString(8)} ${e.uid}:${e.gid} ${e.linkTarget === undefined ? '-' : JSON.stringify(e.linkTarget)} ${content.slice(0, 32) || '-'}`;
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

/** JavaScript's default sort order (UTF-16 code units), without its string conversions. */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Feeds text to blake3 in large pieces: one native call per megabyte, not per entry. */
function textHasher(): { add(s: string): void; hex(): string } {
  const h = new (lazy.blakeHash().Blake3Hasher)();
  let pending = '';
  return {
    add(s) {
      pending += s;
      if (pending.length > 1 << 20) {
        h.update(Buffer.from(pending));
        pending = '';
      }
    },
    hex() {
      if (pending) h.update(Buffer.from(pending));
      return h.digest('hex');
    },
  };
}

/**
 * The digest of a files map (path → description) that cache keys use: blake3 over one
 * `JSON.stringify([path, description])` line per entry, in sorted path order. Independent of
 * the map's own order; any added, removed, renamed or changed entry changes it.
 */
export function filesDigest(files: Readonly<Record<string, string>>): string {
  const h = textHasher();
  for (const k of Object.keys(files).sort(byCodeUnits)) h.add(`${JSON.stringify([k, files[k]])}\n`);
  return h.hex();
}

/** The digest of a path → description map, and the map as a plain object only when asked for. */
function sortedWithDigest(m: ReadonlyMap<string, string>): { digest: string; files: () => Record<string, string> } {
  const h = textHasher();
  const keys = [...m.keys()].sort(byCodeUnits);
  for (const k of keys) h.add(`${JSON.stringify([k, m.get(k) ?? ''])}\n`);
  return {
    digest: h.hex(),
    files: () => {
      const files: Record<string, string> = {};
      for (const k of keys) files[k] = m.get(k) ?? '';
      return files;
    },
  };
}

export interface SelectionDigest {
  /** filesDigest of the selection's files map: what the cache key sees. */
  digest: string;
  /** The files map (path → description), computed on demand when the memo supplied the digest. */
  files(): Promise<Record<string, string>>;
}

export interface HashSelectionOptions {
  exclude?: readonly string[];
  cache: StatCache;
  signal?: AbortSignal;
}

interface Pending {
  key: string;
  abs: string;
  size: number;
  sig: string;
  entry: Described;
}

const joinAbs = (root: string, rel: string): string => (rel === '.' ? root : root.endsWith('/') ? root + rel : `${root}/${rel}`);

/** Path → description of the selected entries; files whose signature the cache knows are not read. */
interface Selected {
  ctx: BuildContext;
  /** What select() returned. */
  top: readonly ContextEntry[];
  /** For each selected directory: what is below it. */
  below: ReadonlyMap<ContextEntry, () => Promise<Array<ScanEntry | ContextEntry>>>;
}

async function describeAll({ ctx, top, below }: Selected, o: HashSelectionOptions): Promise<Map<string, string>> {
  const excluded = o.exclude && o.exclude.length > 0 ? new PatternMatcher([...o.exclude]) : undefined;
  const out = new Map<string, string>();
  const misses: Pending[] = [];
  const add = (e: ScanEntry | ContextEntry, rel: string, sig: string | undefined): void => {
    if (excluded?.matchesOrParentMatches(rel)) return;
    const d: Described = 'perm' in e ? e : { type: e.type, perm: e.mode & 0o7777, uid: e.uid, gid: e.gid, ...(e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}) };
    if (e.type !== 'file' || sig === undefined) {
      out.set(e.path, describe(d, ''));
      return;
    }
    const known = o.cache.lookup(e.path, sig);
    if (known) out.set(e.path, describe(d, known));
    else {
      // Keeps the key's first position, as a sequential pass would.
      out.set(e.path, '');
      misses.push({ key: e.path, abs: joinAbs(ctx.root, e.path), size: e.size, sig, entry: d });
    }
  };
  for (const e of top) {
    throwIfAborted(o.signal);
    // The word as written (e.g. a symlink followed to its target) is part of what is copied.
    if (e.matched !== e.path) out.set(`${e.matched} ->`, e.path);
    add(e, e.path, e.type === 'file' ? await signatureOf(e) : undefined);
    const list = below.get(e);
    if (!list) continue;
    let n = 0;
    for (const child of await list()) {
      if ((++n & 4095) === 0) throwIfAborted(o.signal);
      const rel = e.path === '.' ? child.path : child.path.slice(e.path.length + 1);
      add(child, rel, 'abs' in child ? (child.type === 'file' ? await signatureOf(child) : undefined) : child.sig);
    }
  }
  await eachLimited(misses, HASH_PARALLEL, async (m) => {
    throwIfAborted(o.signal);
    const content = await fileContentHash(m.abs, m.size, o.signal);
    o.cache.record(m.key, m.sig, content);
    out.set(m.key, describe(m.entry, content));
  });
  return out;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/**
 * Digests exactly what `sources` select in `ctx` (directories recursively, .dockerignore and
 * `--exclude` applied), keyed by path relative to the context. Names are part of it, so renames
 * and additions change it; unrelated files do not.
 *
 * When the context can scan (stat records, no per-file lookups) and the stat fingerprint of
 * the whole selection equals one seen before, the digest comes from the cache's memo and no
 * file is looked up or read; the files map is then only built if someone asks for it.
 */
export async function digestSelection(ctx: BuildContext, sources: readonly string[], o: HashSelectionOptions): Promise<SelectionDigest> {
  const walkOpts = o.signal ? { signal: o.signal } : {};
  const top = await ctx.select([...sources], walkOpts);
  const below = new Map<ContextEntry, () => Promise<Array<ScanEntry | ContextEntry>>>();
  const scanBelow = ctx.scanBelow?.bind(ctx);
  let stat: string | undefined;
  if (scanBelow) {
    const h = textHasher();
    h.add(`selection 1 ${JSON.stringify([ctx.kind, sources, o.exclude ?? []])}\n`);
    for (const e of top) {
      h.add(`${JSON.stringify([e.matched, e.path, e.type, e.mode, e.uid, e.gid, e.linkTarget ?? null, e.sig ?? null])}\n`);
      if (e.type !== 'dir') continue;
      const scan = await scanBelow(e.path, walkOpts);
      h.add(`${scan.fingerprint}\n`);
      below.set(e, () => scan.entries());
    }
    stat = h.hex();
  } else {
    for (const e of top) if (e.type === 'dir') below.set(e, () => collect(ctx.walk(e.path, walkOpts)));
  }
  const compute = async (): Promise<{ digest: string; files: () => Record<string, string> }> => sortedWithDigest(await describeAll({ ctx, top, below }, o));
  const known = stat === undefined ? undefined : o.cache.selection(stat);
  if (known !== undefined) {
    let files: Promise<Record<string, string>> | undefined;
    return { digest: known, files: () => (files ??= compute().then((r) => r.files())) };
  }
  const r = await compute();
  if (stat !== undefined) o.cache.rememberSelection(stat, r.digest);
  let files: Record<string, string> | undefined;
  return { digest: r.digest, files: async () => (files ??= r.files()) };
}

/** The files map of a selection: path → description (type, permissions, owner, link target, content hash). */
export async function hashSelection(ctx: BuildContext, sources: readonly string[], o: HashSelectionOptions): Promise<Record<string, string>> {
  return (await digestSelection(ctx, sources, o)).files();
}
