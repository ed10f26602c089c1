// Full-tree comparison (native snapshotter): what changed from lower to upper, as layer entries.
import { lstatSync, type Stats } from 'node:fs';
import { open, readlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { throwIfAborted } from '../core/index.js';
import { WHITEOUT_PREFIX } from './extractor.js';
import { EntryMaker, childRel, join, sortByKey, sortedNames, typeOf, whiteoutEntry, type DiffOptions } from './diff-entry.js';
import { packTar, type PackEntry } from './tar-write.js';
import { readTreeXattrs, type XattrIndex } from './xattr-read.js';

interface Ctx {
  lower: string | undefined;
  upper: string;
  lx: XattrIndex;
  ux: XattrIndex;
  maker: EntryMaker;
  opts: DiffOptions;
  /** Unchanged ancestor dirs not yet written; written before the first change beneath them. */
  pending: Array<{ rel: string; st: Stats; written: boolean }>;
}

async function sameContent(a: string, b: string, signal?: AbortSignal): Promise<boolean> {
  const [fa, fb] = await Promise.all([open(a, 'r'), open(b, 'r')]);
  try {
    const ba = Buffer.alloc(1 << 16);
    const bb = Buffer.alloc(1 << 16);
    for (;;) {
      throwIfAborted(signal);
      const [ra, rb] = await Promise.all([fa.read(ba, 0, ba.length), fb.read(bb, 0, bb.length)]);
      if (ra.bytesRead !== rb.bytesRead) return false;
      if (ra.bytesRead === 0) return true;
      if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
    }
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

function xattrsEqual(a: Map<string, Buffer> | undefined, b: Map<string, Buffer> | undefined): boolean {
  const ca = a?.get('security.capability');
  const cb = b?.get('security.capability');
  return ca === cb || (ca !== undefined && cb !== undefined && ca.equals(cb));
}

/**
 * Whether upper's entry differs from lower's. Equal size with a different mtime falls back to
 * comparing bytes, so a file rewritten with identical content does not enter the layer.
 */
async function changed(ctx: Ctx, rel: string, u: Stats, l: Stats): Promise<boolean> {
  if (typeOf(u) !== typeOf(l) || u.mode !== l.mode || u.uid !== l.uid || u.gid !== l.gid) return true;
  if (!xattrsEqual(ctx.ux.get(rel), ctx.lx.get(rel))) return true;
  const lowerAbs = join(ctx.lower ?? '', rel);
  const upperAbs = join(ctx.upper, rel);
  if (u.isSymbolicLink()) return (await readlink(upperAbs)) !== (await readlink(lowerAbs));
  if (u.isCharacterDevice() || u.isBlockDevice()) return u.rdev !== l.rdev;
  // A directory's mtime moves with every entry added or removed (mount stubs included); the
  // entries themselves are compared, so like containerd's and BuildKit's differs it does not count.
  if (u.isDirectory()) return false;
  if (u.isFIFO()) return u.mtimeMs !== l.mtimeMs;
  if (u.size !== l.size) return true;
  if (u.mtimeMs === l.mtimeMs) return false;
  return !(await sameContent(upperAbs, lowerAbs, ctx.opts.signal));
}

async function* flushParents(ctx: Ctx): AsyncGenerator<PackEntry> {
  for (const p of ctx.pending) {
    if (p.written) continue;
    p.written = true;
    const e = await ctx.maker.make(join(ctx.upper, p.rel), p.rel, p.st);
    if (e) yield e;
  }
}

async function* walk(ctx: Ctx, rel: string, lowerIsDir: boolean): AsyncGenerator<PackEntry> {
  const upperNames = await sortedNames(join(ctx.upper, rel));
  const lowerNames = lowerIsDir && ctx.lower !== undefined ? await sortedNames(join(ctx.lower, rel)) : [];
  const inUpper = new Set(upperNames);
  const inLower = new Set(lowerNames);
  const items = [
    ...upperNames.map((name) => ({ emit: name, name, deleted: false })),
    ...lowerNames.filter((n) => !inUpper.has(n)).map((name) => ({ emit: WHITEOUT_PREFIX + name, name, deleted: true })),
  ];
  sortByKey(items, (i) => i.emit);
  for (const it of items) {
    throwIfAborted(ctx.opts.signal);
    const itemRel = childRel(rel, it.name);
    if (ctx.opts.skip?.(itemRel)) continue;
    if (it.deleted) {
      yield* flushParents(ctx);
      yield whiteoutEntry(childRel(rel, it.emit));
      continue;
    }
    // Synchronous: a cached lstat takes microseconds, a thread-pool round trip several times that.
    const u = lstatSync(join(ctx.upper, itemRel));
    const l = ctx.lower !== undefined && inLower.has(it.name) ? lstatMaybe(join(ctx.lower, itemRel)) : undefined;
    const isChange = !l || (await changed(ctx, itemRel, u, l));
    if (isChange) {
      yield* flushParents(ctx);
      const e = await ctx.maker.make(join(ctx.upper, itemRel), itemRel, u);
      if (e) yield e;
    }
    if (!u.isDirectory()) continue;
    if (isChange) {
      yield* walk(ctx, itemRel, l?.isDirectory() ?? false);
    } else {
      ctx.pending.push({ rel: itemRel, st: u, written: false });
      yield* walk(ctx, itemRel, true);
      ctx.pending.pop();
    }
  }
}

function lstatMaybe(p: string): Stats | undefined {
  return lstatSync(p, { throwIfNoEntry: false });
}

/**
 * Streams an OCI layer tar holding what changed from `lowerDir` to `upperDir` (both full trees);
 * without a lower dir, all of upper. A deleted directory yields a single whiteout. Unchanged
 * parent directories of changes are included so their owners and modes travel with the layer.
 */
export function diffTrees(lowerDir: string | undefined, upperDir: string, opts: DiffOptions = {}): Readable {
  async function* entries(): AsyncGenerator<PackEntry> {
    const ux = await readTreeXattrs(upperDir, opts.signal);
    const lx = lowerDir === undefined ? new Map() : await readTreeXattrs(lowerDir, opts.signal);
    const ctx: Ctx = { lower: lowerDir, upper: upperDir, lx, ux, maker: new EntryMaker(opts, ux), opts, pending: [] };
    yield* walk(ctx, '', lowerDir !== undefined);
  }
  return packTar(entries(), opts.signal);
}
