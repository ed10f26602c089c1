// Shared pieces of both differs: lstat → tar header, hard link detection, sorted directory listing.
import { createReadStream, readFileSync, type Stats } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { TarHeader, EntryType } from './tar-format.js';
import { header, type PackEntry } from './tar-write.js';
import type { XattrIndex } from './xattr-read.js';

export interface DiffOptions {
  /** Clamp every mtime to this (seconds): newer files get the epoch (reproducible builds). */
  sourceDateEpoch?: number;
  /** Paths (relative, no leading './', no trailing '/') to leave out, with their subtrees. */
  skip?: (relPath: string) => boolean;
  /**
   * Overlay differ only: the lower dirs under the upper dir, newest first. With them, an opaque
   * directory is written as whiteouts of the lower entries it hides (BuildKit's form, the same
   * bytes as the tree differ); without them, as an opaque marker.
   */
  lowers?: readonly string[];
  signal?: AbortSignal;
}

/** xattrs copied from the filesystem into layer entries. */
const CARRIED_XATTRS = ['security.capability'];

export function typeOf(st: Stats): EntryType | undefined {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return undefined;
}

/** glibc's major()/minor() split of a dev_t. */
export function devParts(rdev: number): { major: number; minor: number } {
  const d = BigInt(rdev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return { major, minor };
}

export function clampTime(seconds: number, epoch: number | undefined): number {
  return epoch !== undefined && seconds > epoch ? epoch : seconds;
}

/** Bytewise (UTF-8) order, the order Go's tar writers and most layer tools use. */
export function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** UTF-16 order is UTF-8 byte order unless surrogates or U+E000..U+FFFF are involved. */
const NOT_BYTE_ORDERED = /[\ud800-\uffff]/;

/** Sorts in byte order; plain string order where one scan shows it is the same (no copies per comparison). */
export function sortBytes(names: string[]): string[] {
  return names.some((n) => NOT_BYTE_ORDERED.test(n)) ? names.sort(byteCompare) : names.sort();
}

/** Sorts items by a string key in byte order, like sortBytes. */
export function sortByKey<T>(items: T[], key: (item: T) => string): T[] {
  if (items.some((i) => NOT_BYTE_ORDERED.test(key(i)))) return items.sort((a, b) => byteCompare(key(a), key(b)));
  return items.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

export async function sortedNames(dir: string): Promise<string[]> {
  return sortBytes(await readdir(dir));
}

/** Files up to this size are read in one call, which lets the tar writer read a few ahead. */
const WHOLE_READ_MAX = 1 << 20;
/**
 * Below this size a synchronous read is cheaper than the four thread-pool round trips of an
 * async one (open, fstat, read, close), which dominate the time of a tree of small files.
 */
const SYNC_READ_MAX = 64 * 1024;

export function whiteoutEntry(rel: string): PackEntry {
  // Whiteouts are empty files with mode 0, owner 0:0 and mtime 0.
  return { header: header({ name: rel, type: 'file', mode: 0 }) };
}

/** Turns filesystem entries into pack entries, emitting Link entries for inodes seen before. */
export class EntryMaker {
  private readonly links = new Map<string, string>();

  constructor(
    private readonly opts: DiffOptions,
    private readonly xattrs: XattrIndex,
  ) {}

  async make(abs: string, rel: string, st: Stats): Promise<PackEntry | undefined> {
    const type = typeOf(st);
    if (!type) return undefined; // sockets cannot be archived
    const name = type === 'dir' ? `${rel}/` : rel;
    const xattrs = new Map<string, Buffer>();
    const found = this.xattrs.get(rel);
    for (const x of CARRIED_XATTRS) {
      const v = found?.get(x);
      if (v) xattrs.set(x, v);
    }
    const header: TarHeader = {
      name,
      type,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      size: 0,
      mtime: clampTime(Math.floor(st.mtimeMs / 1000), this.opts.sourceDateEpoch),
      linkname: '',
      devmajor: 0,
      devminor: 0,
      xattrs,
    };
    if (type !== 'dir' && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = this.links.get(key);
      if (first !== undefined) return { header: { ...header, type: 'link', linkname: first, xattrs: new Map() } };
      this.links.set(key, rel);
    }
    if (type === 'symlink') header.linkname = await readlink(abs);
    if (type === 'char' || type === 'block') {
      const { major, minor } = devParts(st.rdev);
      header.devmajor = major;
      header.devminor = minor;
    }
    if (type === 'file') {
      header.size = st.size;
      return {
        header,
        open: () => createReadStream(abs, { highWaterMark: 1 << 20 }),
        ...(st.size <= SYNC_READ_MAX
          ? { read: async () => readFileSync(abs) }
          : st.size <= WHOLE_READ_MAX
            ? { read: () => readFile(abs) }
            : {}),
      };
    }
    return { header };
  }
}

export function childRel(rel: string, name: string): string {
  return rel === '' ? name : `${rel}/${name}`;
}

export function join(root: string, rel: string): string {
  return rel === '' ? root : path.join(root, rel);
}
