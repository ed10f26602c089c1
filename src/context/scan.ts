// Raw stat records of a directory tree: from GNU find in child processes when it works, else from lstat here.
import { spawn } from 'node:child_process';
import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import { throwIfAborted } from '../core/index.js';
import type { EntryType, ScanEntry } from './types.js';

/**
 * One record per entry: `type perm uid gid size dev ino mtime ctime path` NUL, link target NUL.
 * find prints times as `seconds.nanoseconds0`; the walk below writes `=nanoseconds` instead.
 * Paths are `./`-prefixed and relative to the scanned directory.
 */
const FIND_FORMAT = '%y %m %U %G %s %D %i %T@ %C@ %p\\0%l\\0';
/** More start points than this go to one find over the whole directory (argument lists are finite). */
const MAX_STARTS = 512;

/** Output the parser cannot read (a foreign find, times before 1970): the caller scans again here. */
export class ScanFormatError extends Error {}

const TYPES: Record<string, EntryType> = { f: 'file', d: 'dir', l: 'symlink' };
const SPACE = 0x20;

/** Nanoseconds since the epoch from either time notation, as a decimal string. */
function nanos(t: string): string {
  if (t.charCodeAt(0) === 0x3d) return t.slice(1);
  const dot = t.indexOf('.');
  // Whole seconds first; before 1970 (a sign) is left to the walk here.
  if (dot < 1 || t.length < dot + 10 || t.charCodeAt(0) === 0x2d) throw new ScanFormatError(`unreadable time ${t}`);
  const ns = t.slice(0, dot) + t.slice(dot + 1, dot + 10);
  return dot === 1 && t.charCodeAt(0) === 0x30 ? String(Number(ns)) : ns;
}

/** Where the path of the record starting at `at` begins (after the ninth space), or -1. */
function pathStart(buf: Buffer, at: number, end: number): number {
  let spaces = 0;
  for (let i = at; i < end; i++) {
    if (buf[i] === SPACE && ++spaces === 9) return i + 1;
  }
  return -1;
}

/**
 * Calls `visit` for every record of `buf`, its path prefixed with `prefix` (the scanned
 * directory relative to the root, '' for the root); ScanFormatError when one cannot be read.
 */
export function forEachRecord(buf: Buffer, prefix: string, visit: (r: ScanEntry & { sig: string }) => void): void {
  const pre = prefix === '' ? '' : `${prefix}/`;
  let at = 0;
  while (at < buf.length) {
    const nul = buf.indexOf(0, at);
    const linkEnd = nul < 0 ? -1 : buf.indexOf(0, nul + 1);
    const ps = nul < 0 ? -1 : pathStart(buf, at, nul);
    if (linkEnd < 0 || ps < 0 || buf[ps] !== 0x2e || buf[ps + 1] !== 0x2f) throw new ScanFormatError('truncated or foreign scan record');
    const name = buf.toString('utf8', ps + 2, nul);
    // A name that is not UTF-8 cannot be opened by its decoded form; the in-process walk skips
    // such entries (lstat finds nothing), and so does the scan (with whatever lies below them).
    if (name.includes('\ufffd') && !Buffer.from(name, 'utf8').equals(buf.subarray(ps + 2, nul))) {
      at = linkEnd + 1;
      continue;
    }
    const path = pre + name;
    const type = TYPES[String.fromCharCode(buf[at] ?? 0)] ?? 'other';
    const [, perm = '', uid = '', gid = '', size = '', dev = '', ino = '', mtime = '', ctime = ''] = buf.toString('latin1', at, ps - 1).split(' ');
    // Every entry gets a signature; only those of regular files are ever looked up.
    const r: ScanEntry & { sig: string } = {
      path, type, perm: parseInt(perm, 8), uid: Number(uid), gid: Number(gid), size: Number(size),
      sig: `${dev}:${ino}:${size}:${nanos(mtime)}:${nanos(ctime)}`,
    };
    if (type === 'symlink') r.linkTarget = buf.toString('utf8', nul + 1, linkEnd);
    visit(r);
    at = linkEnd + 1;
  }
}

function runFind(dir: string, starts: readonly string[] | undefined, signal?: AbortSignal): Promise<Buffer> {
  const args = starts ? [...starts.map((s) => `./${s}`), '-printf', FIND_FORMAT] : ['.', '-mindepth', '1', '-printf', FIND_FORMAT];
  return new Promise((resolve, reject) => {
    const child = spawn('find', args, { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }, ...(signal ? { signal } : {}) });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const out = Buffer.concat(chunks);
      if (code === 0 && (out.length === 0 || out[out.length - 1] === 0)) resolve(out);
      // Nothing printed at all: this find does not know -printf, or cannot start.
      else reject(Object.assign(new ScanFormatError(`find exited with ${code}`), { unsupported: out.length === 0 }));
    });
  });
}

function record(st: BigIntStats, rel: string, link: string): string {
  const y = st.isFile() ? 'f' : st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : 'o';
  const perm = (Number(st.mode) & 0o7777).toString(8);
  return `${y} ${perm} ${st.uid} ${st.gid} ${st.size} ${st.dev} ${st.ino} =${st.mtimeNs} =${st.ctimeNs} ./${rel}\0${link}\0`;
}

/** Thrown by a walk that met more entries than it was allowed. */
class TooMany extends Error {}

/** The same records, by a walk in this process (exact nanoseconds from BigInt stats). */
function walkRecords(dir: string, starts: readonly string[] | undefined, o: { signal?: AbortSignal; limit?: number } = {}): Buffer {
  const out: string[] = [];
  const limit = o.limit ?? Infinity;
  const visit = (rel: string): void => {
    const abs = `${dir}/${rel}`;
    const st = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
    if (!st) return;
    if (out.length >= limit) throw new TooMany();
    out.push(record(st, rel, st.isSymbolicLink() ? readlinkSync(abs) : ''));
    if (st.isDirectory()) {
      throwIfAborted(o.signal);
      for (const n of readdirSync(abs)) visit(`${rel}/${n}`);
    }
  };
  for (const s of starts ?? readdirSync(dir)) visit(s);
  return Buffer.from(out.join(''));
}

/**
 * Process-wide settings: whether find may be used (turned off once it proves absent or
 * unusable), and up to how many entries a tree is walked here instead, which is cheaper than
 * starting find and as exact. Tests change them.
 */
export const scanDefaults = { find: process.env.TSBUILD_NO_FIND !== '1', smallTree: 2000 };

export interface ScanOptions {
  signal?: AbortSignal;
  /** false: walk here even when find works (after its output could not be parsed). */
  find?: boolean;
  /** Walk here when the tree has at most this many entries (default scanDefaults.smallTree). */
  smallTree?: number;
}

/**
 * Stat records of everything below `dir` (or, given `starts`, names in `dir`: each of them and
 * everything below it), in an order that is stable while the tree is unchanged. A large tree is
 * read by find in two processes when it can: both cores, and no per-entry work or garbage
 * here. Any failure of find (absent, not GNU, an entry vanishing meanwhile) falls back to lstat
 * here, which throws the real errors such as EACCES.
 */
export async function scanTree(dir: string, starts: readonly string[] | undefined, o: ScanOptions = {}): Promise<Buffer[]> {
  if (starts && starts.length === 0) return [];
  const list = starts && starts.length <= MAX_STARTS ? starts : undefined;
  if (scanDefaults.find && o.find !== false) {
    // The same tree always takes the same way, so its fingerprint stays comparable.
    try {
      return [walkRecords(dir, list, { ...o, limit: o.smallTree ?? scanDefaults.smallTree })];
    } catch (e) {
      if (!(e instanceof TooMany)) throw e;
    }
    const groups = list && list.length > 1 ? [list.filter((_, i) => i % 2 === 0), list.filter((_, i) => i % 2 === 1)] : [list];
    try {
      return await Promise.all(groups.map((g) => runFind(dir, g, o.signal)));
    } catch (e) {
      throwIfAborted(o.signal);
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as { unsupported?: boolean }).unsupported) scanDefaults.find = false;
    }
  }
  return [walkRecords(dir, list, o)];
}
