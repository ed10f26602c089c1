// Streaming tar writer: entries in, tar bytes out, one file body at a time with backpressure.
import { Readable } from 'node:stream';
import { TsbuildError, throwIfAborted } from '../core/index.js';
import { BLOCK, encodeHeader, paddingFor, type TarHeader } from './tar-format.js';

export interface PackEntry {
  header: TarHeader;
  /** File contents, opened only when the entry is written (regular files with size > 0). */
  open?: () => Readable | AsyncIterable<Buffer>;
  data?: Buffer;
}

const ZEROS = Buffer.alloc(BLOCK * 2);

async function* tarChunks(entries: AsyncIterable<PackEntry> | Iterable<PackEntry>, signal?: AbortSignal): AsyncGenerator<Buffer> {
  for await (const e of entries) {
    throwIfAborted(signal);
    const h = e.header;
    yield encodeHeader(h);
    if (h.type !== 'file' || h.size === 0) continue;
    let written = 0;
    if (e.data) {
      written = e.data.length;
      yield e.data;
    } else if (e.open) {
      for await (const chunk of e.open() as AsyncIterable<Buffer>) {
        written += chunk.length;
        if (written > h.size) break;
        yield chunk;
      }
    }
    if (written !== h.size) {
      throw new TsbuildError('TSB3106', `'${h.name}' changed size while it was being archived (${h.size} → ${written}+ bytes)`);
    }
    const pad = paddingFor(h.size);
    if (pad > 0) yield ZEROS.subarray(0, pad);
  }
  yield ZEROS;
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
