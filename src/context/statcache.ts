// The per-context stat cache (path → signature, content hash) and the memo of whole selections.
import { promises as fsp, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../core/index.js';

interface StatRecord {
  /** `dev:ino:size:mtimeNs:ctimeNs` — any change means the content must be read again. */
  stat: string;
  hash: string;
}

const HEADER = 'tsbuild-statcache 2\n';
const HEX64 = /^[0-9a-f]{64}$/;
const SIG = /^\d+:\d+:\d+:\d+:\d+$/;

/** A path as stored on a line: raw, unless a newline or a leading quote makes it ambiguous. */
function encodePath(p: string): string {
  return p.includes('\n') || p.includes('\r') || p.startsWith('"') ? JSON.stringify(p) : p;
}

function line(path: string, r: StatRecord): string {
  return `${r.hash} ${r.stat} ${encodePath(path)}\n`;
}

/** Parses the line log; torn or foreign lines are skipped (they only cost a re-read). */
function parseLog(text: string, into: Map<string, StatRecord>): number {
  let lines = 0;
  let at = HEADER.length;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const s1 = text.indexOf(' ', at);
    const s2 = s1 < 0 || s1 > end ? -1 : text.indexOf(' ', s1 + 1);
    if (s2 > 0 && s2 < end) {
      const hash = text.slice(at, s1);
      const stat = text.slice(s1 + 1, s2);
      let p: string | undefined = text.slice(s2 + 1, end);
      if (p.startsWith('"')) {
        try {
          const v: unknown = JSON.parse(p);
          p = typeof v === 'string' ? v : undefined;
        } catch {
          p = undefined;
        }
      }
      if (p !== undefined && p !== '' && HEX64.test(hash) && SIG.test(stat)) {
        into.set(p, { stat, hash });
        lines++;
      }
    }
    at = end + 1;
  }
  return lines;
}

const MEMO_HEADER = 'tsbuild-selections 1\n';
/** Selections remembered per cache: enough for every COPY of a large Dockerfile, and a few variants. */
const MEMO_MAX = 256;

/** Selection digests live beside the log, in a file small enough to read on every build. */
function memoFile(file: string): string {
  return `${file}.sel`;
}

function parseMemo(text: string, into: Map<string, string>): void {
  if (!text.startsWith(MEMO_HEADER)) return;
  for (const l of text.slice(MEMO_HEADER.length).split('\n')) {
    const [k = '', v = ''] = l.split(' ');
    if (HEX64.test(k) && HEX64.test(v)) into.set(k, v);
  }
}

/**
 * A per-context map of path → (stat signature, content hash). Files whose device, inode, size,
 * mtime and ctime are unchanged reuse the recorded hash without being read.
 *
 * On disk it is a line log: `save` appends only what changed since `open` (one fsync'd append,
 * so a build that changed one file of 100k writes one line), and rewrites the whole file
 * atomically when superseded lines outnumber live ones. A crash can leave a torn last line,
 * which the next `open` skips. Concurrent builds may append to the same log; the last line for
 * a path wins, and every line is a correct hash for its signature. The JSON object the first
 * version wrote is still read.
 *
 * Beside it, a memo maps the stat fingerprint of a whole selection to its content digest, so an
 * unchanged selection costs one stat pass and no lookups at all.
 */
export class StatCache {
  private entries = new Map<string, StatRecord>();
  private added: string[] = [];
  /** Lines in the file as loaded (live or superseded); decides when to compact. */
  private lines = 0;
  private format: 'none' | 'json' | 'log' = 'none';
  /** The log is read on first use: a build whose selections all match the memo never needs it. */
  private loaded: boolean;
  private selections = new Map<string, string>();
  private newSelections = new Map<string, string>();

  private constructor(private readonly file: string | undefined) {
    this.loaded = file === undefined;
  }

  /** Opens the cache of `file` (undefined: in memory only). Reads only the small memo file now. */
  static async open(file: string | undefined): Promise<StatCache> {
    const c = new StatCache(file);
    if (file) parseMemo(await fsp.readFile(memoFile(file), 'utf8').catch(() => ''), c.selections);
    return c;
  }

  private load(): void {
    if (this.loaded || !this.file) return;
    this.loaded = true;
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    if (text.startsWith(HEADER)) {
      this.lines = parseLog(text, this.entries);
      this.format = 'log';
    } else if (text.startsWith('{')) {
      try {
        const data = JSON.parse(text) as unknown;
        if (data && typeof data === 'object') this.entries = new Map(Object.entries(data as Record<string, StatRecord>));
        this.format = 'json';
      } catch {
        // An unreadable cache is an empty one.
      }
    }
  }

  lookup(path: string, stat: string): string | undefined {
    this.load();
    const r = this.entries.get(path);
    return r && r.stat === stat ? r.hash : undefined;
  }

  record(path: string, stat: string, hash: string): void {
    this.load();
    const r = this.entries.get(path);
    if (r && r.stat === stat && r.hash === hash) return;
    this.entries.set(path, { stat, hash });
    this.added.push(path);
  }

  /**
   * The content digest last computed for a selection whose stat fingerprint was `stat`. Equal
   * fingerprints cover equal signatures of every selected file, so the digest still holds.
   */
  selection(stat: string): string | undefined {
    return this.selections.get(stat);
  }

  rememberSelection(stat: string, digest: string): void {
    if (this.selections.get(stat) === digest) return;
    this.selections.set(stat, digest);
    this.newSelections.set(stat, digest);
  }

  /** Writes what changed: new file signatures (first), then new selection digests. */
  async save(): Promise<void> {
    await this.saveEntries();
    if (!this.file || this.newSelections.size === 0) return;
    // Merged with what other builds wrote meanwhile; the newest entries are kept.
    const merged = new Map<string, string>();
    parseMemo(await fsp.readFile(memoFile(this.file), 'utf8').catch(() => ''), merged);
    for (const [k, v] of this.newSelections) {
      merged.delete(k);
      merged.set(k, v);
    }
    const lines = [...merged].slice(-MEMO_MAX).map(([k, v]) => `${k} ${v}\n`);
    await writeFileAtomic(memoFile(this.file), MEMO_HEADER + lines.join(''));
    this.newSelections.clear();
  }

  private async saveEntries(): Promise<void> {
    if (!this.file || this.added.length === 0) return;
    const live = this.entries.size;
    if (this.format !== 'log' || this.lines + this.added.length > 2 * live + 1024) {
      const parts = [HEADER];
      for (const [p, r] of this.entries) parts.push(line(p, r));
      await writeFileAtomic(this.file, parts.join(''));
      this.format = 'log';
      this.lines = live;
    } else {
      // The leading newline ends a line another writer may have left torn.
      const parts = ['\n'];
      for (const p of new Set(this.added)) {
        const r = this.entries.get(p);
        if (r) parts.push(line(p, r));
      }
      const fh = await fsp.open(this.file, 'a');
      try {
        await fh.appendFile(parts.join(''));
        await fh.sync();
      } finally {
        await fh.close();
      }
      this.lines += parts.length - 1;
    }
    this.added = [];
  }
}
