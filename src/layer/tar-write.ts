// Streaming tar writer: entries in, tar bytes out, with bounded read-ahead of small file bodies.
import { Readable } from 'node:stream';
import { TsbuildError, throwIfAborted } from '../core/index.js';
import { BLOCK, encodeHeader, paddingFor, type TarHeader } from './tar-format.js';

export interface PackEntry {
  header: TarHeader;
  /** File contents, opened only when the entry is written (regular files with size > 0). */
  open?: () => Readable | AsyncIterable<Buffer>;
  /**
   * The whole body at once, for small files: preferred over `open`, and started a few entries
   * ahead of the writer so that reads overlap instead of waiting on each other.
   */
  read?: () => Promise<Buffer>;
  data?: Buffer;
}

const ZEROS = Buffer.alloc(BLOCK * 2);
/** Output is handed on in chunks of about this size: headers and small bodies are coalesced. */
const OUT_CHUNK = 256 * 1024;
/** Read-ahead limits: bodies in memory and entries pulled before the one being written. */
const AHEAD_BYTES = 8 * 1024 * 1024;
const AHEAD_ENTRIES = 64;

function sizeChanged(h: TarHeader, written: number): TsbuildError {
  return new TsbuildError('TSB3106', `'${h.name}' changed size while it was being archived (${h.size} → ${written}+ bytes)`);
}

interface Queued {
  e: PackEntry;
  body?: Promise<Buffer>;
}

async function* tarChunks(entries: AsyncIterable<PackEntry> | Iterable<PackEntry>, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const it: AsyncIterator<PackEntry> | Iterator<PackEntry> =
    Symbol.asyncIterator in entries ? entries[Symbol.asyncIterator]() : (entries as Iterable<PackEntry>)[Symbol.iterator]();
  const queue: Queued[] = [];
  let aheadBytes = 0;
  let ended = false;
  const fill = async (): Promise<void> => {
    while (!ended && (queue.length === 0 || (queue.length < AHEAD_ENTRIES && aheadBytes < AHEAD_BYTES))) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      const e = r.value;
      const q: Queued = { e };
      if (!e.data && e.read && e.header.type === 'file' && e.header.size > 0) {
        q.body = e.read();
        // Observed here, thrown when the entry is written.
        q.body.catch(() => undefined);
        aheadBytes += e.header.size;
      }
      queue.push(q);
    }
  };
  let out: Buffer[] = [];
  let outLen = 0;
  const take = (): Buffer => {
    const b = out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out, outLen);
    out = [];
    outLen = 0;
    return b;
  };
  try {
    for (;;) {
      await fill();
      const q = queue.shift();
      if (!q) break;
      throwIfAborted(signal);
      const { e } = q;
      const h = e.header;
      const head = encodeHeader(h);
      out.push(head);
      outLen += head.length;
      if (h.type === 'file' && h.size > 0) {
        let written = 0;
        if (e.data) {
          written = e.data.length;
          out.push(e.data);
          outLen += written;
        } else if (q.body) {
          const body = await q.body;
          aheadBytes -= h.size;
          if (body.length !== h.size) throw sizeChanged(h, body.length);
          written = body.length;
          out.push(body);
          outLen += written;
        } else if (e.open) {
          for await (const chunk of e.open() as AsyncIterable<Buffer>) {
            written += chunk.length;
            if (written > h.size) break;
            // Large bodies pass through as they come; only small pieces are coalesced.
            if (outLen > 0) yield take();
            yield chunk;
          }
        }
        if (written !== h.size) throw sizeChanged(h, written);
        const pad = paddingFor(h.size);
        if (pad > 0) {
          out.push(ZEROS.subarray(0, pad));
          outLen += pad;
        }
      }
      if (outLen >= OUT_CHUNK) yield take();
    }
    out.push(ZEROS);
    outLen += ZEROS.length;
    yield take();
  } finally {
    if (!ended) await it.return?.();
  }
}

/** A tar stream of `entries` ending with the two zero blocks. */
export function packTar(entries: AsyncIterable<PackEntry> | Iterable<PackEntry>, signal?: AbortSignal): Readable {
  return Readable.from(tarChunks(entries, signal), { objectMode: false });
}

/** A header with defaults for the fields most entries leave alone. */
export function header(h: Partial<TarHeader> & Pick<TarHeader, 'name' | 'type'>): TarHeader {
  return {
    mode: h.type === 'dir' ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: 0,
    linkname: '',
    devmajor: 0,
    devminor: 0,
    xattrs: new Map(),
    ...h,
  };
}
