// Streaming tar reader: yields one entry at a time; file bodies are streamed, never buffered whole.
import type { Readable } from 'node:stream';
import { TsbuildError, throwIfAborted } from '../core/index.js';
import {
  BLOCK,
  XATTR_PREFIX,
  decodeHeader,
  isZeroBlock,
  paddingFor,
  parsePax,
  type EntryType,
  type RawHeader,
  type TarHeader,
} from './tar-format.js';

export interface TarEntry {
  header: TarHeader;
  /** File data (regular files only). Consume it or leave it: the reader skips what is left. */
  body: AsyncIterable<Buffer>;
}

const TYPES: Record<string, EntryType> = {
  '0': 'file',
  '7': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
};

/** Longest PAX or GNU long-name block accepted; anything larger is a hostile archive. */
const MAX_META = 1 << 20;

/** Pulls exact byte counts out of a chunked stream. */
class ByteSource {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  constructor(private readonly it: AsyncIterator<Buffer | string>) {}

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      return false;
    }
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    return true;
  }

  /** Exactly n bytes, or fewer only at end of input. */
  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n && (await this.fill()));
    const out = this.buf.subarray(0, Math.min(n, this.buf.length));
    this.buf = this.buf.subarray(out.length);
    return out;
  }

  /** Up to n bytes from what is buffered (refilling once when empty). */
  async readSome(n: number): Promise<Buffer> {
    if (this.buf.length === 0) await this.fill();
    const out = this.buf.subarray(0, Math.min(n, this.buf.length));
    this.buf = this.buf.subarray(out.length);
    return out;
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

function truncated(name: string): TsbuildError {
  return new TsbuildError('TSB3102', `tar archive truncated inside entry '${name}'`);
}

async function readMeta(src: ByteSource, raw: RawHeader): Promise<Buffer> {
  if (raw.size > MAX_META) throw new TsbuildError('TSB3102', `tar extension header too large (${raw.size} bytes)`);
  const data = await src.read(raw.size + paddingFor(raw.size));
  if (data.length < raw.size) throw truncated(raw.name);
  return data.subarray(0, raw.size);
}

function paxNumber(pax: Map<string, Buffer>, key: string, fallback: number): number {
  const v = pax.get(key);
  if (v === undefined) return fallback;
  const n = Number(v.toString('ascii'));
  if (!Number.isFinite(n)) throw new TsbuildError('TSB3102', `invalid PAX ${key} '${v.toString('ascii')}'`);
  return Math.floor(n);
}

/** Reads a tar stream entry by entry (ustar, PAX, GNU long names; sparse files are refused). */
export async function* readTar(input: Readable | AsyncIterable<Buffer>, signal?: AbortSignal): AsyncGenerator<TarEntry> {
  const src = new ByteSource((input as AsyncIterable<Buffer>)[Symbol.asyncIterator]());
  let globalPax = new Map<string, Buffer>();
  let pax = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;
  try {
    for (;;) {
      throwIfAborted(signal);
      const block = await src.read(BLOCK);
      if (block.length === 0) return;
      if (block.length < BLOCK) throw new TsbuildError('TSB3102', 'tar archive truncated (partial header block)');
      if (isZeroBlock(block)) return;
      const raw = decodeHeader(block);
      switch (raw.typeflag) {
        case 'x':
          pax = new Map([...pax, ...parsePax(await readMeta(src, raw))]);
          continue;
        case 'g':
          globalPax = new Map([...globalPax, ...parsePax(await readMeta(src, raw))]);
          continue;
        case 'L':
          longName = (await readMeta(src, raw)).toString('utf8').replace(/\0+$/, '');
          continue;
        case 'K':
          longLink = (await readMeta(src, raw)).toString('utf8').replace(/\0+$/, '');
          continue;
      }
      const ext = new Map([...globalPax, ...pax]);
      let name = ext.get('path')?.toString('utf8') ?? longName ?? raw.name;
      let type = TYPES[raw.typeflag];
      if (raw.typeflag === '0' && name.endsWith('/')) type = 'dir';
      if (!type || [...ext.keys()].some((k) => k.startsWith('GNU.sparse'))) {
        throw new TsbuildError('TSB3102', `unsupported tar entry type '${raw.typeflag}' for '${name}'`);
      }
      if (type === 'dir' && !name.endsWith('/')) name += '/';
      const xattrs = new Map<string, Buffer>();
      for (const [k, v] of ext) if (k.startsWith(XATTR_PREFIX)) xattrs.set(k.slice(XATTR_PREFIX.length), v);
      const size = paxNumber(ext, 'size', raw.size);
      const header: TarHeader = {
        name,
        type,
        mode: raw.mode & 0o7777,
        uid: paxNumber(ext, 'uid', raw.uid),
        gid: paxNumber(ext, 'gid', raw.gid),
        size: type === 'file' ? size : 0,
        mtime: paxNumber(ext, 'mtime', raw.mtime),
        linkname: ext.get('linkpath')?.toString('utf8') ?? longLink ?? raw.linkname,
        devmajor: raw.devmajor,
        devminor: raw.devminor,
        xattrs,
      };
      pax = new Map();
      longName = undefined;
      longLink = undefined;
      // Hard links and others may carry a size in odd archives; data blocks are skipped either way.
      const dataSize = raw.typeflag === '1' || raw.typeflag === '2' ? 0 : size;
      let remaining = type === 'file' ? dataSize : 0;
      const body = (async function* (): AsyncGenerator<Buffer> {
        while (remaining > 0) {
          const chunk = await src.readSome(Math.min(remaining, 1 << 20));
          if (chunk.length === 0) throw truncated(name);
          remaining -= chunk.length;
          yield chunk;
        }
      })();
      yield { header, body };
      while (remaining > 0) {
        const chunk = await src.readSome(remaining);
        if (chunk.length === 0) throw truncated(name);
        remaining -= chunk.length;
      }
      let skip = paddingFor(dataSize) + (type === 'file' ? 0 : dataSize);
      while (skip > 0) {
        const chunk = await src.read(Math.min(skip, 1 << 20));
        if (chunk.length === 0) break;
        skip -= chunk.length;
      }
    }
  } finally {
    await src.close();
  }
}
