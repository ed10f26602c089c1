// Overlay upper dir → layer entries: whiteout devices and opaque xattrs become OCI whiteout files.
import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { TsbuildError, throwIfAborted } from '../core/index.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './extractor.js';
import { EntryMaker, byteCompare, childRel, join, sortedNames, whiteoutEntry, type DiffOptions } from './diff-entry.js';
import { packTar, type PackEntry } from './tar-write.js';
import { readTreeXattrs, type XattrIndex } from './xattr-read.js';

const OPAQUE_XATTRS = ['trusted.overlay.opaque', 'user.overlay.opaque'];
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

async function* walk(upper: string, rel: string, x: XattrIndex, maker: EntryMaker, opts: DiffOptions): AsyncGenerator<PackEntry> {
  const dir = join(upper, rel);
  const items: Item[] = [];
  for (const name of await sortedNames(dir)) {
    const st = await lstat(join(dir, name));
    const whiteout = st.isCharacterDevice() && st.rdev === 0;
    items.push(whiteout ? { emit: WHITEOUT_PREFIX + name, name } : { emit: name, name, st });
  }
  if (rel !== '' && isOpaque(x.get(rel))) items.push({ emit: OPAQUE_MARKER, name: '' });
  items.sort((a, b) => byteCompare(a.emit, b.emit));
  for (const it of items) {
    throwIfAborted(opts.signal);
    const itemRel = childRel(rel, it.name === '' ? OPAQUE_MARKER : it.name);
    if (opts.skip?.(itemRel)) continue;
    if (!it.st) {
      yield whiteoutEntry(childRel(rel, it.emit));
      continue;
    }
    const found = x.get(itemRel);
    const bad = UNSUPPORTED_XATTRS.find((k) => found?.has(k));
    if (bad) throw new TsbuildError('TSB3106', `'${itemRel}' in the overlay upper dir uses ${bad}, which layer diffs do not support`);
    const entry = await maker.make(join(upper, itemRel), itemRel, it.st);
    if (entry) yield entry;
    if (it.st.isDirectory()) yield* walk(upper, itemRel, x, maker, opts);
  }
}

/**
 * Streams an OCI layer tar of an overlayfs upper dir. Opaque directories are found through the
 * `trusted.overlay.opaque` xattr (or `user.` for rootless mounts), read with one `getfattr -R`
 * run, so the `attr` package must be installed. The upper dir must not change while streaming.
 */
export function diffOverlayUpper(upperDir: string, opts: DiffOptions = {}): Readable {
  async function* entries(): AsyncGenerator<PackEntry> {
    const x = await readTreeXattrs(upperDir, opts.signal);
    yield* walk(upperDir, '', x, new EntryMaker(opts, x), opts);
  }
  return packTar(entries(), opts.signal);
}
