// Overlay upper dir → layer entries: whiteout devices and opaque xattrs become OCI whiteout files.
import { lstatSync, type Stats } from 'node:fs';
import type { Readable } from 'node:stream';
import { TsbuildError, throwIfAborted } from '../core/index.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './extractor.js';
import { EntryMaker, childRel, join, sortByKey, sortedNames, whiteoutEntry, type DiffOptions } from './diff-entry.js';
import { packTar, type PackEntry } from './tar-write.js';
import { LowerView } from './lower-view.js';
import { readTreeXattrs, type XattrIndex } from './xattr-read.js';

const OPAQUE_XATTRS = ['trusted.overlay.opaque', 'user.overlay.opaque'];
/** Set by overlayfs on entries it copied up from a lower layer. */
const ORIGIN_XATTRS = ['trusted.overlay.origin', 'user.overlay.origin'];
/** Overlay features whose upper dirs cannot be read as a plain diff. */
const UNSUPPORTED_XATTRS = ['redirect', 'metacopy'].flatMap((n) => [`trusted.overlay.${n}`, `user.overlay.${n}`]);

interface Item {
  emit: string;
  name: string;
  st?: Stats;
}

function isOpaque(x: Map<string, Buffer> | undefined): boolean {
  return OPAQUE_XATTRS.some((k) => x?.get(k)?.toString('latin1') === 'y');
}

interface Walk {
  upper: string;
  x: XattrIndex;
  maker: EntryMaker;
  opts: DiffOptions;
  lower?: LowerView;
  /** Copied-up directories not written yet: they enter the layer only above a change. */
  pending: Array<{ entry: PackEntry; written: boolean }>;
}

/**
 * A directory overlay copied up from a lower one (it carries an `origin` xattr) whose owner and
 * mode are unchanged is no change by itself: its mtime moves whenever an entry is added or
 * removed, even a mount stub that is gone again. Like BuildKit's differs, directory mtimes alone
 * do not count.
 */
async function copiedUpUnchanged(w: Walk, rel: string, st: Stats): Promise<boolean> {
  const x = w.x.get(rel);
  if (!w.lower || !ORIGIN_XATTRS.some((k) => x?.has(k)) || isOpaque(x) || x?.has('security.capability')) return false;
  const l = await w.lower.visibleStat(rel);
  return l !== undefined && l.isDirectory() && l.mode === st.mode && l.uid === st.uid && l.gid === st.gid;
}

async function* emit(w: Walk, entry: PackEntry): AsyncGenerator<PackEntry> {
  for (const p of w.pending) {
    if (p.written) continue;
    p.written = true;
    yield p.entry;
  }
  yield entry;
}

/**
 * `hides`: this directory, or one above it, is opaque and the lower dirs are known, so every
 * lower entry here that the upper lacks gets a whiteout (the upper's own whiteout devices are
 * then redundant).
 */
async function* walk(w: Walk, rel: string, hides: boolean): AsyncGenerator<PackEntry> {
  const dir = join(w.upper, rel);
  const items: Item[] = [];
  const present = new Set<string>();
  for (const name of await sortedNames(dir)) {
    // Synchronous: a cached lstat takes microseconds, a thread-pool round trip several times that.
    const st = lstatSync(join(dir, name));
    const whiteout = st.isCharacterDevice() && st.rdev === 0;
    if (whiteout && hides) continue;
    if (!whiteout) present.add(name);
    items.push(whiteout ? { emit: WHITEOUT_PREFIX + name, name } : { emit: name, name, st });
  }
  const opaque = rel !== '' && isOpaque(w.x.get(rel));
  if (w.lower && (hides || opaque)) {
    for (const name of await w.lower.names(rel)) if (!present.has(name)) items.push({ emit: WHITEOUT_PREFIX + name, name });
  } else if (opaque) items.push({ emit: OPAQUE_MARKER, name: '' });
  sortByKey(items, (i) => i.emit);
  for (const it of items) {
    throwIfAborted(w.opts.signal);
    const itemRel = childRel(rel, it.name === '' ? OPAQUE_MARKER : it.name);
    if (w.opts.skip?.(itemRel)) continue;
    if (!it.st) {
      yield* emit(w, whiteoutEntry(childRel(rel, it.emit)));
      continue;
    }
    const found = w.x.get(itemRel);
    const bad = UNSUPPORTED_XATTRS.find((k) => found?.has(k));
    if (bad) throw new TsbuildError('TSB3106', `'${itemRel}' in the overlay upper dir uses ${bad}, which layer diffs do not support`);
    const entry = await w.maker.make(join(w.upper, itemRel), itemRel, it.st);
    if (!it.st.isDirectory()) {
      if (entry) yield* emit(w, entry);
      continue;
    }
    const childHides = w.lower !== undefined && (hides || isOpaque(found));
    if (entry && !hides && (await copiedUpUnchanged(w, itemRel, it.st))) {
      w.pending.push({ entry, written: false });
      yield* walk(w, itemRel, childHides);
      w.pending.pop();
      continue;
    }
    if (entry) yield* emit(w, entry);
    yield* walk(w, itemRel, childHides);
  }
}

/**
 * Streams an OCI layer tar of an overlayfs upper dir. Opaque directories are found through the
 * `trusted.overlay.opaque` xattr (or `user.` for rootless mounts), read with one `getfattr -R`
 * run, so the `attr` package must be installed. With `opts.lowers`, an opaque directory becomes
 * whiteouts of the lower entries it hides, and copied-up directories whose owner and mode did not
 * change are written only above a change; without, an opaque marker and every directory. The
 * upper dir must not change while streaming.
 */
export function diffOverlayUpper(upperDir: string, opts: DiffOptions = {}): Readable {
  async function* entries(): AsyncGenerator<PackEntry> {
    const x = await readTreeXattrs(upperDir, opts.signal);
    const lower = opts.lowers ? new LowerView(opts.lowers, opts.signal) : undefined;
    yield* walk({ upper: upperDir, x, maker: new EntryMaker(opts, x), opts, pending: [], ...(lower ? { lower } : {}) }, '', false);
  }
  return packTar(entries(), opts.signal);
}
