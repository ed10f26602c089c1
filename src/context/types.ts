// The build-context vocabulary shared by the planner (hashing) and the COPY/ADD engine.

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface ContextEntry {
  /** Real path relative to the root, '/'-separated, no leading './'; '.' for the root itself. */
  path: string;
  /**
   * The path as the source word matched it, before a final symlink was followed (select()
   * results only; equals `path` for walk() results). Its base name names the copy.
   */
  matched: string;
  abs: string;
  type: EntryType;
  /** st_mode as returned by lstat (file type bits included). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
  /** Nanosecond mtime, for exact timestamp preservation. */
  mtimeNs: bigint;
  atimeNs: bigint;
  linkTarget?: string;
  ino: number;
  dev: number;
  nlink: number;
  /** st_rdev, for device nodes. */
  rdev: number;
  /**
   * Regular files: `dev:ino:size:mtimeNs:ctimeNs` from the same lstat, exact to the bit. The
   * stat cache compares it, so hashing needs no second lstat.
   */
  sig?: string;
}

export interface WalkOptions {
  signal?: AbortSignal;
  /** Asked before descending into each directory; false skips everything below it. */
  enter?: (dir: ContextEntry) => boolean;
}

/** An entry below a scanned directory: only what content hashing needs. */
export interface ScanEntry {
  /** Relative to the root, as ContextEntry.path. */
  path: string;
  type: EntryType;
  /** Permission bits (st_mode & 0o7777). */
  perm: number;
  uid: number;
  gid: number;
  size: number;
  /** `dev:ino:size:mtimeNs:ctimeNs`, the same signature as ContextEntry.sig. */
  sig?: string;
  linkTarget?: string;
}

/** A stat-only pass over what walk() would yield below a directory. */
export interface StatScan {
  /**
   * Hex digest of every such entry's name, type, mode, owner, size, device, inode, mtime, ctime
   * and link target: equal fingerprints mean equal contents, as far as a stat cache can tell.
   */
  fingerprint: string;
  /** The entries themselves, in no particular order. */
  entries(): Promise<ScanEntry[]>;
}

/**
 * A tree that COPY/ADD reads from: the build context (read in place, filtered by
 * .dockerignore) or a materialized stage/image rootfs (`COPY --from`).
 */
export interface BuildContext {
  /** Absolute directory the entries live in; read in place, never copied. */
  readonly root: string;
  /**
   * 'context': a local build context (files are owned by 0:0 in the image unless --chown).
   * 'rootfs': a stage or image filesystem (owners are preserved).
   */
  readonly kind: 'context' | 'rootfs';
  /** True when .dockerignore excludes the path (or one of its parents). */
  isExcluded(relPath: string): boolean;
  /**
   * Resolves COPY/ADD source words (already variable-expanded) to entries. Globs follow
   * filepath.Match per path component; a directory source selects the directory itself.
   * A source leaving the root → TSB2102; no match → TSB2101. Excluded paths never match.
   */
  select(sources: string[], opts?: WalkOptions): Promise<ContextEntry[]>;
  /** All non-excluded entries strictly below a directory, depth-first in byte order. */
  walk(relDir: string, opts?: WalkOptions): AsyncIterable<ContextEntry>;
  /** The entries walk() yields below a directory, from stats alone (for hashing). */
  scanBelow?(relDir: string, opts?: { signal?: AbortSignal }): Promise<StatScan>;
}
