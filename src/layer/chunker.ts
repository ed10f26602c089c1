// Content-defined splitting of a tar byte stream into chunks that end at entry boundaries.
//
// A chunk ends after an entry when a hash of that entry's name says so (weighted by the entry's
// size, so the average chunk size does not depend on how big the files are), which makes a
// changed or inserted file disturb only the chunk it lands in. Large file bodies are cut at fixed
// offsets from their own start, so their pieces line up again whatever came before them.

const BLOCK = 512;

export interface ChunkLimits {
  /** No content-defined cut before a chunk has this many bytes. */
  min: number;
  /** Expected bytes between content-defined cuts (beyond `min`). */
  target: number;
  /** A chunk never grows past this many bytes. */
  max: number;
  /** File bodies are cut at multiples of this many bytes from their first data byte. */
  step: number;
}

export const DEFAULT_CHUNK_LIMITS: ChunkLimits = { min: 256 * 1024, target: 1024 * 1024, max: 4 * 1024 * 1024, step: 1024 * 1024 };

/** Typeflags of headers that only describe the entry that follows them (PAX, GNU long names). */
const META_TYPES = new Set(['x', 'g', 'L', 'K', 'X']);

type State = 'header' | 'data' | 'tail';

function octalOrBinary(b: Buffer, off: number, len: number): number | undefined {
  const first = b[off] ?? 0;
  if (first & 0x80) {
    // GNU base-256: big-endian, high bit of the first byte set.
    let v = first & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + (b[off + i] ?? 0);
    return v;
  }
  const s = b.toString('latin1', off, off + len).replace(/[\0 ]+$/, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return undefined;
  return parseInt(s, 8);
}

function validChecksum(h: Buffer): boolean {
  const stored = octalOrBinary(h, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
  return stored === sum;
}

/** FNV-1a over the name and prefix fields: stable for a path, cheap per entry. */
function nameHash(h: Buffer): number {
  let x = 0x811c9dc5;
  for (let i = 0; i < 100; i++) x = Math.imul(x ^ (h[i] ?? 0), 0x01000193);
  for (let i = 345; i < 500; i++) x = Math.imul(x ^ (h[i] ?? 0), 0x01000193);
  return x >>> 0;
}

/**
 * Splits tar bytes into chunks. Feed with `push`, finish with `end`; each returns the chunks it
 * completed. Input that is not a tar stream is still split (at fixed sizes), never rejected.
 */
export class TarChunker {
  private readonly lim: ChunkLimits;
  private parts: Buffer[] = [];
  private len = 0;
  private state: State = 'header';
  private header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Data bytes (with padding) left in the current entry. */
  private dataLeft = 0;
  /** Data bytes of the current entry consumed so far. */
  private dataDone = 0;
  private inGroup = false;
  private cutWanted = false;
  private done: Buffer[] = [];

  constructor(limits: ChunkLimits = DEFAULT_CHUNK_LIMITS) {
    this.lim = limits;
  }

  push(buf: Buffer): Buffer[] {
    let i = 0;
    while (i < buf.length) i += this.consume(buf, i);
    return this.take();
  }

  end(): Buffer[] {
    if (this.len > 0) this.cut();
    return this.take();
  }

  private take(): Buffer[] {
    const out = this.done;
    this.done = [];
    return out;
  }

  private cut(): void {
    this.done.push(this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.len));
    this.parts = [];
    this.len = 0;
  }

  private append(buf: Buffer, from: number, n: number): void {
    this.parts.push(from === 0 && n === buf.length ? buf : buf.subarray(from, from + n));
    this.len += n;
  }

  /** Consumes bytes of `buf` from `i` up to the next event; returns how many. */
  private consume(buf: Buffer, i: number): number {
    const avail = buf.length - i;
    // A header group (PAX or GNU long-name entries and the header they belong to) is never cut,
    // so a chunk can pass the cap by a header; cut before taking any more data or tail bytes.
    if (this.state !== 'header' && this.len >= this.lim.max) this.cut();
    if (this.state === 'tail') {
      const n = Math.min(avail, this.lim.max - this.len);
      this.append(buf, i, n);
      if (this.len >= this.lim.max) this.cut();
      return n;
    }
    if (this.state === 'header') {
      if (this.headerFill === 0 && !this.inGroup && this.len > 0) {
        if (this.len >= this.lim.max || (this.cutWanted && this.len >= this.lim.min)) this.cut();
      }
      const n = Math.min(avail, BLOCK - this.headerFill);
      buf.copy(this.header, this.headerFill, i, i + n);
      this.headerFill += n;
      this.append(buf, i, n);
      if (this.headerFill === BLOCK) this.onHeader();
      return n;
    }
    // Data: stop at the entry's end, at the next fixed cut offset, or at the size cap.
    const toStep = this.lim.step - (this.dataDone % this.lim.step);
    const n = Math.min(avail, this.dataLeft, toStep, this.lim.max - this.len);
    this.append(buf, i, n);
    this.dataLeft -= n;
    this.dataDone += n;
    if (this.dataLeft === 0) this.state = 'header';
    else if (this.len >= this.lim.max || (this.dataDone % this.lim.step === 0 && this.len >= this.lim.min)) this.cut();
    return n;
  }

  private onHeader(): void {
    this.headerFill = 0;
    const h = this.header;
    const size = octalOrBinary(h, 124, 12);
    if (h.every((b) => b === 0) || size === undefined || !validChecksum(h)) {
      // End of archive (or not a tar at all): the rest is split by size only.
      this.state = 'tail';
      return;
    }
    const type = String.fromCharCode(h[156] ?? 0);
    // Hard links, symlinks, directories and devices carry no data whatever their size field says.
    const hasData = META_TYPES.has(type) || type === '0' || type === '\0' || type === '7';
    this.inGroup = META_TYPES.has(type);
    this.dataLeft = hasData ? Math.ceil(size / BLOCK) * BLOCK : 0;
    this.dataDone = 0;
    if (!this.inGroup) this.cutWanted = this.wantsCut(nameHash(h), size);
    this.state = this.dataLeft === 0 ? 'header' : 'data';
  }

  private wantsCut(hash: number, size: number): boolean {
    // Probability proportional to the entry's bytes: about one cut per `target` bytes.
    return hash / 0x100000000 < (size + BLOCK) / this.lim.target;
  }
}
