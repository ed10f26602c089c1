// BuildContext implementations: a local build context (with .dockerignore) and a rootfs.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { TsbuildError, throwIfAborted } from '../core/index.js';
import { loadDockerignore } from './dockerignore.js';
import { hasWildcards, match } from './match.js';
import { PatternMatcher, type MatchInfo } from './patternmatcher.js';
import { cleanPath, compareBytes } from './paths.js';
import { resolveWithin } from './rootpath.js';
import type { BuildContext, ContextEntry, StatScan, WalkOptions } from './types.js';
import { statEntry, statEntrySync } from './stat.js';
import { scanBelow } from './tree-scan.js';

const STAT_BATCH = 64;

/** Sorts names in UTF-8 byte order; one scan decides whether plain UTF-16 order already is that. */
function sortByBytes(names: string[]): string[] {
  return names.some((n) => /[\ud800-\uffff]/.test(n)) ? names.sort(compareBytes) : names.sort();
}

class TreeSource implements BuildContext {
  constructor(
    readonly root: string,
    readonly kind: 'context' | 'rootfs',
    private readonly ignore: PatternMatcher,
  ) {}

  private get confine(): 'strict' | 'chroot' {
    return this.kind === 'context' ? 'strict' : 'chroot';
  }

  /** The exclusion state of a path, computed down its parent chain as a walk would. */
  private exclusion(rel: string): { matched: boolean; info: MatchInfo | undefined } {
    if (this.ignore.empty || rel === '.' || rel === '') return { matched: false, info: undefined };
    let info: MatchInfo | undefined;
    let matched = false;
    const parts = rel.split('/');
    for (let i = 0; i < parts.length; i++) {
      const r = this.ignore.matchesUsingParentResults(parts.slice(0, i + 1).join('/'), info);
      info = r.info;
      matched = r.matched;
    }
    return { matched, info };
  }

  isExcluded(relPath: string): boolean {
    return this.exclusion(cleanPath(relPath.replace(/^\/+/, '') || '.')).matched;
  }

  /** Normalizes a source word to a root-relative path; leaving a build context is TSB2102. */
  private normalize(word: string): string {
    if (this.kind === 'rootfs') return cleanPath('/' + word).slice(1) || '.';
    const rel = cleanPath(word.replace(/^\/+/, '') || '.');
    if (rel === '..' || rel.startsWith('../')) {
      throw new TsbuildError('TSB2102', `${word}: path escapes the build context`);
    }
    return rel;
  }

  /** Follows the path (including a final symlink) and stats the target. */
  private async resolveEntry(rel: string, word: string, signal?: AbortSignal): Promise<ContextEntry | undefined> {
    const r = await resolveWithin(this.root, rel, { confine: this.confine, what: word, signal });
    if (r.missing) return undefined;
    if (r.links.some((l) => this.isExcluded(l)) || this.isExcluded(r.rel)) return undefined;
    const e = await statEntry(this.root, r.rel);
    if (!e) return undefined;
    e.matched = rel;
    return e;
  }

  async select(sources: string[], opts: WalkOptions = {}): Promise<ContextEntry[]> {
    const out: ContextEntry[] = [];
    for (const word of sources) {
      throwIfAborted(opts.signal);
      const rel = this.normalize(word);
      const parts = rel === '.' ? [] : rel.split('/');
      const firstGlob = parts.findIndex((p) => hasWildcards(p));
      if (firstGlob < 0) {
        const e = await this.resolveEntry(rel, word, opts.signal);
        if (!e) throw new TsbuildError('TSB2101', `${word}: not found in the build context`);
        out.push(e);
        continue;
      }
      for (const p of parts.slice(firstGlob)) {
        try {
          match(p, '');
        } catch (err) {
          throw new TsbuildError('TSB2104', `${word}: invalid glob pattern`, { cause: err });
        }
      }
      const base = parts.slice(0, firstGlob).join('/') || '.';
      const baseResolved = await resolveWithin(this.root, base, { confine: this.confine, what: word, signal: opts.signal });
      const found: ContextEntry[] = [];
      if (!baseResolved.missing) {
        const names = await this.globBelow(baseResolved.rel, parts.slice(firstGlob), opts.signal);
        for (const name of names) {
          const matchedRel = base === '.' ? name : `${base}/${name}`;
          const target = baseResolved.rel === '.' ? name : `${baseResolved.rel}/${name}`;
          if (this.isExcluded(target)) continue;
          const e = await this.resolveEntry(target, word, opts.signal);
          if (!e) continue;
          e.matched = matchedRel;
          found.push(e);
        }
      }
      if (found.length === 0) throw new TsbuildError('TSB2101', `${word}: no source files were found matching the pattern`);
      out.push(...found);
    }
    return out;
  }

  /** Matches pattern components level by level; intermediate symlinks are not entered. */
  private async globBelow(dirRel: string, pats: string[], signal?: AbortSignal): Promise<string[]> {
    const [head, ...rest] = pats;
    if (head === undefined) return [];
    throwIfAborted(signal);
    let dirents: import('node:fs').Dirent[];
    try {
      dirents = await fsp.readdir(path.join(this.root, dirRel), { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw e;
    }
    dirents.sort((a, b) => compareBytes(a.name, b.name));
    const out: string[] = [];
    for (const d of dirents) {
      if (!match(head, d.name)) continue;
      if (rest.length === 0) {
        out.push(d.name);
      } else if (d.isDirectory()) {
        const sub = dirRel === '.' ? d.name : `${dirRel}/${d.name}`;
        for (const n of await this.globBelow(sub, rest, signal)) out.push(`${d.name}/${n}`);
      }
    }
    return out;
  }

  async *walk(relDir: string, opts: WalkOptions = {}): AsyncIterable<ContextEntry> {
    const rel = this.normalize(relDir);
    const r = await resolveWithin(this.root, rel, { confine: this.confine, what: relDir, signal: opts.signal });
    if (r.missing) throw new TsbuildError('TSB2101', `${relDir}: not found in the build context`);
    const top = this.exclusion(r.rel);
    yield* this.walkDir(r.rel, top.info, [], opts);
  }

  async scanBelow(relDir: string, opts: { signal?: AbortSignal } = {}): Promise<StatScan> {
    const rel = this.normalize(relDir);
    const r = await resolveWithin(this.root, rel, { confine: this.confine, what: relDir, signal: opts.signal });
    if (r.missing) throw new TsbuildError('TSB2101', `${relDir}: not found in the build context`);
    const info = this.exclusion(r.rel).info;
    return scanBelow({ root: this.root, rel: r.rel, ignore: this.ignore, info, ...(opts.signal ? { signal: opts.signal } : {}) });
  }

  /**
   * Yields the children of `dirRel`. Excluded directories that an exception may re-include
   * are entered without being yielded; they are yielded lazily before their first child.
   */
  private async *walkDir(dirRel: string, info: MatchInfo | undefined, pending: ContextEntry[], opts: WalkOptions): AsyncGenerator<ContextEntry> {
    throwIfAborted(opts.signal);
    const names = sortByBytes(await fsp.readdir(path.join(this.root, dirRel)));
    for (let i = 0; i < names.length; i += STAT_BATCH) {
      const batch = names.slice(i, i + STAT_BATCH);
      const rels = batch.map((n) => (dirRel === '.' ? n : `${dirRel}/${n}`));
      const entries = rels.map((r) => statEntrySync(this.root, r));
      for (const e of entries) {
        if (!e) continue;
        let childInfo: MatchInfo | undefined;
        let excluded = false;
        if (!this.ignore.empty) {
          const m = this.ignore.matchesUsingParentResults(e.path, info);
          excluded = m.matched;
          childInfo = m.info;
        }
        if (excluded) {
          if (e.type === 'dir' && this.ignore.mayReincludeUnder(e.path) && (opts.enter?.(e) ?? true)) {
            pending.push(e);
            yield* this.walkDir(e.path, childInfo, pending, opts);
            if (pending[pending.length - 1] === e) pending.pop();
          }
          continue;
        }
        while (pending.length > 0) yield pending.shift() as ContextEntry;
        yield e;
        if (e.type === 'dir' && (opts.enter?.(e) ?? true)) yield* this.walkDir(e.path, childInfo, pending, opts);
      }
    }
  }
}

/**
 * Opens a local build context. Its `.dockerignore` (or `<Dockerfile>.dockerignore` beside the
 * given Dockerfile) filters every lookup. A missing directory → TSB2108.
 */
export async function openContext(dir: string, opts: { dockerfile?: string; signal?: AbortSignal } = {}): Promise<BuildContext> {
  const root = path.resolve(dir);
  let st;
  try {
    st = await fsp.stat(root);
  } catch (e) {
    throw new TsbuildError('TSB2108', `build context ${root} not found`, { cause: e });
  }
  if (!st.isDirectory()) throw new TsbuildError('TSB2108', `build context ${root} is not a directory`);
  const { matcher } = await loadDockerignore(root, opts);
  return new TreeSource(root, 'context', matcher);
}

/** A stage or image filesystem as a COPY source: no ignore rules, paths resolved as in a chroot. */
export function openRootfsSource(dir: string): BuildContext {
  return new TreeSource(path.resolve(dir), 'rootfs', new PatternMatcher([]));
}
