// What a walk below a directory would yield, from raw stat records: .dockerignore applied, a fingerprint for change detection.
import { readdirSync } from 'node:fs';
import { lazy } from '../core/index.js';
import type { MatchInfo, PatternMatcher } from './patternmatcher.js';
import { forEachRecord, ScanFormatError, scanTree } from './scan.js';
import type { ScanEntry, StatScan } from './types.js';

export interface TreeScanOptions {
  /** Absolute directory of the context. */
  root: string;
  /** The directory to scan, relative to the root ('.' for the root). */
  rel: string;
  ignore: PatternMatcher;
  /** Exclusion state of `rel` itself, as a walk computes it. */
  info: MatchInfo | undefined;
  signal?: AbortSignal;
}

interface DirState {
  info: MatchInfo | undefined;
  /**
   * live: entered and yielded; quiet: live, and no rule can exclude anything below it;
   * pending: excluded, entered for exceptions; dead: not entered.
   */
  state: 'live' | 'quiet' | 'pending' | 'dead';
  /** Index of the pending directory's record, to include it once a descendant is. */
  index: number;
}

const parentOf = (rel: string): string => {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
};

const DEAD: DirState = { info: undefined, state: 'dead', index: -1 };

/**
 * Applies the ignore rules to records in the order find and the walk emit them (every directory
 * before what is below it), with the walk's semantics: an excluded directory that an exception
 * may re-include is entered, and is kept only when something below it is.
 */
function filterRecords(o: TreeScanOptions, bufs: readonly Buffer[], keep: (r: ScanEntry) => void): void {
  const top: DirState = { info: o.info, state: 'live', index: -1 };
  const topPath = o.rel === '.' ? '' : o.rel;
  for (const buf of bufs) {
    const dirs = new Map<string, DirState>();
    const kept: Array<{ r: ScanEntry; on: boolean }> = [];
    forEachRecord(buf, topPath, (r) => {
      const parentPath = parentOf(r.path);
      const parent = parentPath === topPath ? top : dirs.get(parentPath) ?? DEAD;
      if (parent.state === 'dead' || parent.state === 'quiet') {
        if (r.type === 'dir') dirs.set(r.path, parent);
        if (parent.state === 'quiet') kept.push({ r, on: true });
        return;
      }
      const m = o.ignore.matchesUsingParentResults(r.path, parent.info);
      if (m.matched) {
        const reenter = r.type === 'dir' && o.ignore.mayReincludeUnder(r.path);
        if (r.type === 'dir') dirs.set(r.path, reenter ? { info: m.info, state: 'pending', index: kept.length } : DEAD);
        if (reenter) kept.push({ r, on: false });
        return;
      }
      if (r.type === 'dir') dirs.set(r.path, { info: m.info, state: o.ignore.quietUnder(r.path, m.info) ? 'quiet' : 'live', index: -1 });
      kept.push({ r, on: true });
      // Excluded directories above a kept entry are kept too (the walk yields them first).
      for (let p = parentPath; p !== topPath; p = parentOf(p)) {
        const d = dirs.get(p);
        if (!d || d.state !== 'pending') break;
        d.state = 'live';
        const k = kept[d.index];
        if (k) k.on = true;
      }
    });
    for (const k of kept) if (k.on) keep(k.r);
  }
}

/** Top-level names worth handing to the scanner: excluded ones that nothing can re-include are left out. */
function startNames(o: TreeScanOptions): string[] {
  const abs = o.rel === '.' ? o.root : `${o.root}/${o.rel}`;
  const dirents = readdirSync(abs, { withFileTypes: true });
  if (o.ignore.empty) return dirents.map((d) => d.name);
  const out: string[] = [];
  for (const d of dirents) {
    const full = o.rel === '.' ? d.name : `${o.rel}/${d.name}`;
    if (!o.ignore.matchesUsingParentResults(full, o.info).matched || (d.isDirectory() && o.ignore.mayReincludeUnder(full))) out.push(d.name);
  }
  return out;
}

/**
 * Digest of the raw records with the rules that filter them: unfiltered, so an unchanged tree
 * costs no per-entry work here at all. A change in an ignored file below the top level also
 * changes it, which costs that build one pass over the records, never a wrong result.
 */
function fingerprintOf(o: TreeScanOptions, starts: readonly string[], bufs: readonly Buffer[]): string {
  const h = new (lazy.blakeHash().Blake3Hasher)();
  h.update(Buffer.from(`scan 2 ${JSON.stringify([o.rel, o.ignore.patterns.map((p) => [p.text, p.exclusion]), starts])}\n`));
  for (const b of bufs) h.update(b);
  return h.digest('hex');
}

function entriesOf(o: TreeScanOptions, bufs: readonly Buffer[]): ScanEntry[] {
  const out: ScanEntry[] = [];
  const add = (r: ScanEntry): void => void out.push(r);
  if (o.ignore.empty) for (const b of bufs) forEachRecord(b, o.rel === '.' ? '' : o.rel, add);
  else filterRecords(o, bufs, add);
  return out;
}

/**
 * Scans below `o.rel`. The fingerprint covers every entry a walk would yield (name, type, mode,
 * owner, size, device, inode, mtime, ctime, link target), and the rules that choose them;
 * `entries` parses and filters on demand. Output of find that this parser cannot read is read
 * again by a walk here.
 */
export async function scanBelow(o: TreeScanOptions): Promise<StatScan> {
  const abs = o.rel === '.' ? o.root : `${o.root}/${o.rel}`;
  const starts = startNames(o);
  const scan = (find: boolean): Promise<Buffer[]> => scanTree(abs, starts, { ...(o.signal ? { signal: o.signal } : {}), find });
  let bufs = await scan(true);
  return {
    fingerprint: fingerprintOf(o, starts, bufs),
    entries: async () => {
      try {
        return entriesOf(o, bufs);
      } catch (e) {
        if (!(e instanceof ScanFormatError)) throw e;
        bufs = await scan(false);
        return entriesOf(o, bufs);
      }
    },
  };
}
