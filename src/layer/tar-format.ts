// Tar header codec (ustar + PAX): deterministic encoding, tolerant decoding of ustar/GNU/v7 headers.
import { TsbuildError } from '../core/index.js';

export const BLOCK = 512;
export type EntryType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

/** One tar entry as tsbuild sees it: numeric owners, whole-second mtime, raw xattr bytes. */
export interface TarHeader {
  /** Relative name; directories end in '/'. */
  name: string;
  type: EntryType;
  /** Permission bits including setuid/setgid/sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the Unix epoch. */
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  xattrs: Map<string, Buffer>;
}

const TYPEFLAG: Record<EntryType, string> = {
  file: '0',
  link: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

const MAX_OCTAL7 = 0o7777777;
const MAX_OCTAL11 = 0o77777777777;
const XATTR_PREFIX = 'SCHILY.xattr.';

function isAscii(s: string): boolean {
  return /^[\x01-\x7f]*$/.test(s);
}

/** Zero-padded octal with a NUL terminator filling a field of `width` bytes. */
function writeOctal(buf: Buffer, off: number, width: number, value: number): void {
  buf.write(value.toString(8).padStart(width - 1, '0'), off, width - 1, 'ascii');
}

function checksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  return sum;
}

function ustarBlock(h: {
  name: string;
  prefix: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  devmajor: number;
  devminor: number;
}): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'utf8');
  writeOctal(b, 100, 8, h.mode);
  writeOctal(b, 108, 8, h.uid);
  writeOctal(b, 116, 8, h.gid);
  writeOctal(b, 124, 12, h.size);
  writeOctal(b, 136, 12, h.mtime);
  b.write(h.typeflag, 156, 1, 'ascii');
  b.write(h.linkname, 157, 100, 'utf8');
  b.write('ustar\x0000', 257, 8, 'ascii');
  writeOctal(b, 329, 8, h.devmajor);
  writeOctal(b, 337, 8, h.devminor);
  b.write(h.prefix, 345, 155, 'utf8');
  const sum = checksum(b);
  b.write(`${sum.toString(8).padStart(6, '0')}\x00 `, 148, 8, 'ascii');
  return b;
}

/** Splits a long ASCII name into ustar prefix/name at a '/', or returns undefined. */
function splitUstar(name: string): { prefix: string; name: string } | undefined {
  if (!isAscii(name)) return undefined;
  if (name.length <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    if (i > 155) break;
    const rest = name.slice(i + 1);
    if (i > 0 && rest.length > 0 && rest.length <= 100) return { prefix: name.slice(0, i), name: rest };
  }
  return undefined;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len), 'ascii'), body]);
}

function padTo(buf: Buffer): Buffer {
  const rem = buf.length % BLOCK;
  return rem === 0 ? buf : Buffer.concat([buf, Buffer.alloc(BLOCK - rem)]);
}

/** Bytes of zero padding that follow `size` bytes of entry data. */
export function paddingFor(size: number): number {
  const rem = size % BLOCK;
  return rem === 0 ? 0 : BLOCK - rem;
}

/** Encodes a header; a PAX extended header is added only when ustar cannot hold a field. */
export function encodeHeader(h: TarHeader): Buffer {
  const pax = new Map<string, Buffer>();
  const split = splitUstar(h.name);
  if (!split) pax.set('path', Buffer.from(h.name, 'utf8'));
  if (h.linkname.length > 100 || !isAscii(h.linkname)) pax.set('linkpath', Buffer.from(h.linkname, 'utf8'));
  const num = (key: string, v: number, max: number): number => {
    if (Number.isInteger(v) && v >= 0 && v <= max) return v;
    pax.set(key, Buffer.from(String(v), 'ascii'));
    return 0;
  };
  const uid = num('uid', h.uid, MAX_OCTAL7);
  const gid = num('gid', h.gid, MAX_OCTAL7);
  const size = num('size', h.size, MAX_OCTAL11);
  const mtime = num('mtime', h.mtime, MAX_OCTAL11);
  for (const [k, v] of h.xattrs) pax.set(XATTR_PREFIX + k, v);
  const base = {
    mode: h.mode & 0o7777,
    uid,
    gid,
    size,
    mtime,
    typeflag: TYPEFLAG[h.type],
    linkname: pax.has('linkpath') ? '' : h.linkname,
    devmajor: h.devmajor <= MAX_OCTAL7 ? h.devmajor : 0,
    devminor: h.devminor <= MAX_OCTAL7 ? h.devminor : 0,
  };
  const main = ustarBlock({ ...base, ...(split ?? { prefix: '', name: asciiFallback(h.name) }) });
  if (pax.size === 0) return main;
  const records = Buffer.concat([...pax.keys()].sort().map((k) => paxRecord(k, pax.get(k) ?? Buffer.alloc(0))));
  const paxHead = ustarBlock({
    name: 'PaxHeaders.0/' + asciiFallback(h.name.replace(/\/$/, '').split('/').pop() ?? '').slice(0, 80),
    prefix: '',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: records.length,
    mtime: 0,
    typeflag: 'x',
    linkname: '',
    devmajor: 0,
    devminor: 0,
  });
  return Buffer.concat([paxHead, padTo(records), main]);
}

/** A printable ustar stand-in for names that live in PAX records (readers use the PAX path). */
function asciiFallback(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_');
  return ascii.length <= 100 ? ascii : ascii.slice(ascii.length - 100);
}

// ---- decoding ----

/** A header block as stored, before PAX/GNU extensions are folded in. */
export interface RawHeader {
  name: string;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
}

function readString(b: Buffer, off: number, len: number): string {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end === -1 || end > off + len ? off + len : end);
}

function readNumber(b: Buffer, off: number, len: number): number {
  const first = b[off] ?? 0;
  if (first & 0x80) {
    // GNU base-256: big-endian two's complement with the top bit as a marker.
    let v = first & 0x7f;
    if (first & 0x40) v = first - 0x100;
    for (let i = 1; i < len; i++) v = v * 256 + (b[off + i] ?? 0);
    return v;
  }
  const s = b.toString('ascii', off, off + len).replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TsbuildError('TSB3102', `invalid number '${s}' in tar header`);
  return parseInt(s, 8);
}

/** True when every byte of the block is zero (end-of-archive marker). */
export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** True when the stored checksum matches (unsigned, or the signed variant some old tars used). */
export function checksumMatches(b: Buffer): boolean {
  const stored = b.toString('ascii', 148, 156).replace(/\0.*$/s, '').trim();
  if (!/^[0-7]+$/.test(stored)) return false;
  const want = parseInt(stored, 8);
  if (checksum(b) === want) return true;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : (b[i] ?? 0);
    signed += v > 127 ? v - 256 : v;
  }
  return signed === want;
}

export function decodeHeader(b: Buffer): RawHeader {
  if (!checksumMatches(b)) throw new TsbuildError('TSB3102', 'tar header checksum mismatch (not a tar archive, or corrupted)');
  let name = readString(b, 0, 100);
  const magic = b.toString('latin1', 257, 263);
  if (magic === 'ustar\0') {
    const prefix = readString(b, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  const flag = b[156] === 0 ? '0' : String.fromCharCode(b[156] ?? 0x30);
  return {
    name,
    typeflag: flag,
    mode: readNumber(b, 100, 8),
    uid: readNumber(b, 108, 8),
    gid: readNumber(b, 116, 8),
    size: readNumber(b, 124, 12),
    mtime: readNumber(b, 136, 12),
    linkname: readString(b, 157, 100),
    devmajor: readNumber(b, 329, 8),
    devminor: readNumber(b, 337, 8),
  };
}

/** Parses PAX records, keeping values as raw bytes (xattr values are binary). */
export function parsePax(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < buf.length) {
    if (buf[pos] === 0) break;
    const sp = buf.indexOf(0x20, pos);
    const len = sp === -1 ? NaN : parseInt(buf.toString('ascii', pos, sp), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > buf.length) {
      throw new TsbuildError('TSB3102', 'malformed PAX extended header');
    }
    const rec = buf.subarray(sp + 1, pos + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq === -1) throw new TsbuildError('TSB3102', 'malformed PAX record');
    out.set(rec.toString('utf8', 0, eq), Buffer.from(rec.subarray(eq + 1)));
    pos += len;
  }
  return out;
}

export { XATTR_PREFIX, TYPEFLAG };
