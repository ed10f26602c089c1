// Content hashes of what a COPY/ADD selects, with a persistent stat cache so unchanged files are not re-read.
import { createReadStream, promises as fsp } from 'node:fs';
import { Blake3Hasher } from '@napi-rs/blake-hash';
import { readJsonFile, throwIfAborted, writeFileAtomic } from '../core/index.js';
import { PatternMatcher } from './patternmatcher.js';
import type { BuildContext, ContextEntry } from './types.js';

interface StatRecord {
  /** `dev:ino:size:mtimeNs:ctimeNs` — any change means the content must be read again. */
  stat: string;
  hash: string;
}

/**
 * A per-context map of path → (stat signature, content hash), kept in one JSON file. Files whose
 * device, inode, size, mtime and ctime are unchanged reuse the recorded hash without being read.
 */
export class StatCache {
  private entries = new Map<string, StatRecord>();
  private dirty = false;

  private constructor(private readonly file: string | undefined) {}

  static async open(file: string | undefined): Promise<StatCache> {
    const c = new StatCache(file);
    if (file) {
      const data = await readJsonFile<Record<string, StatRecord>>(file).catch(() => undefined);
      if (data && typeof data === 'object') c.entries = new Map(Object.entries(data));
    }
    return c;
  }

  lookup(path: string, stat: string): string | undefined {
    const r = this.entries.get(path);
    return r && r.stat === stat ? r.hash : undefined;
  }

  record(path: string, stat: string, hash: string): void {
    this.entries.set(path, { stat, hash });
    this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.file || !this.dirty) return;
    await writeFileAtomic(this.file, JSON.stringify(Object.fromEntries(this.entries)));
    this.dirty = false;
  }
}

async function fileContentHash(abs: string, signal?: AbortSignal): Promise<string> {
  const h = new Blake3Hasher();
  for await (const chunk of createReadStream(abs, signal ? { signal } : {})) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function entryHash(e: ContextEntry, cache: StatCache, signal?: AbortSignal): Promise<string> {
  let content = '';
  if (e.type === 'file') {
    const st = await fsp.lstat(e.abs, { bigint: true });
    const sig = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    content = cache.lookup(e.path, sig) ?? '';
    if (!content) {
      content = await fileContentHash(e.abs, signal);
      cache.record(e.path, sig, content);
    }
  }
  // Everything COPY carries over except timestamps: type, mode, owner, link target, content.
  // Kept readable (not hashed again) so a cache miss can say which of them changed.
  return `${e.type} ${(e.mode & 0o7777).toString(8)} ${e.uid}:${e.gid} ${e.linkTarget === undefined ? '-' : JSON.stringify(e.linkTarget)} ${content.slice(0, 32) || '-'}`;
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
  const out: Record<string, string> = {};
  const add = async (e: ContextEntry, rel: string): Promise<void> => {
    throwIfAborted(o.signal);
    if (excluded?.matchesOrParentMatches(rel)) return;
    out[e.path] = await entryHash(e, o.cache, o.signal);
  };
  for (const e of await ctx.select([...sources], o.signal ? { signal: o.signal } : {})) {
    // The word as written (e.g. a symlink followed to its target) is part of what is copied.
    if (e.matched !== e.path) out[`${e.matched} ->`] = e.path;
    await add(e, e.path);
    if (e.type === 'dir') {
      for await (const child of ctx.walk(e.path, o.signal ? { signal: o.signal } : {})) {
        const rel = e.path === '.' ? child.path : child.path.slice(e.path.length + 1);
        await add(child, rel);
      }
    }
  }
  return out;
}
