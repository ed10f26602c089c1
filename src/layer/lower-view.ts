// The merged directory listings of an overlay's lower dirs, read without mounting them, so an
// opaque upper directory can be written as explicit whiteouts of what it hides (as BuildKit does).
import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { throwIfAborted } from '../core/index.js';
import { runTool } from './tools.js';
import { parseGetfattr } from './xattr-read.js';

const OPAQUE_PATTERN = '^(trusted|user)\\.overlay\\.opaque$';

async function lstatMaybe(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

export class LowerView {
  private readonly opaque = new Map<string, boolean>();

  /** `lowers`: overlay lower dirs, newest first, as in a `lowerdir=` option. */
  constructor(
    private readonly lowers: readonly string[],
    private readonly signal?: AbortSignal,
  ) {}

  /** Whether each directory carries an overlay opaque xattr; one getfattr run for the unknown ones. */
  private async opaqueDirs(dirs: string[]): Promise<boolean[]> {
    const unknown = dirs.filter((d) => !this.opaque.has(d));
    if (unknown.length > 0) {
      const out = await runTool('getfattr', ['-h', '-d', '-m', OPAQUE_PATTERN, '-e', 'hex', '--absolute-names', ...unknown], {
        okCodes: [0, 1],
        ...(this.signal ? { signal: this.signal } : {}),
      });
      const found = parseGetfattr(out, '/');
      for (const d of unknown) {
        const x = found.get(d.slice(1));
        const flag = [...(x?.values() ?? [])].some((v) => v.toString('latin1') === 'y');
        this.opaque.set(d, flag);
      }
    }
    return dirs.map((d) => this.opaque.get(d) === true);
  }

  /**
   * The entry at `rel` in the newest lower that has one, unless that is a whiteout. Only for
   * paths known to be visible through the lower stack (e.g. copied up by overlay), since
   * opaque directories above `rel` are not consulted.
   */
  async visibleStat(rel: string): Promise<Stats | undefined> {
    for (const lower of this.lowers) {
      const st = await lstatMaybe(path.join(lower, rel));
      if (st) return isWhiteout(st) ? undefined : st;
    }
    return undefined;
  }

  /**
   * Names visible at `rel` ('' is the root) in the union of the lower dirs, following overlay's
   * lookup: a whiteout, a non-directory or an opaque directory in a newer layer hides what older
   * layers have at or below that path.
   */
  async names(rel: string): Promise<Set<string>> {
    const parts = rel === '' ? [] : rel.split('/');
    const visible = new Set<string>();
    const hidden = new Set<string>();
    for (const lower of this.lowers) {
      throwIfAborted(this.signal);
      const dirs: string[] = [];
      let blocked = false;
      let absent = false;
      for (let i = 0; i <= parts.length; i++) {
        const p = path.join(lower, ...parts.slice(0, i));
        const st = await lstatMaybe(p);
        if (!st) {
          absent = true;
          break;
        }
        if (isWhiteout(st) || !st.isDirectory()) {
          blocked = true;
          break;
        }
        dirs.push(p);
      }
      // the lower's own root is never opaque for our purposes; its sub-directories may be
      const opaque = (await this.opaqueDirs(dirs.slice(1))).some(Boolean);
      if (blocked) break;
      if (!absent) {
        for (const name of await readdir(path.join(lower, ...parts))) {
          if (visible.has(name) || hidden.has(name)) continue;
          const st = await lstatMaybe(path.join(lower, ...parts, name));
          if (st && isWhiteout(st)) hidden.add(name);
          else visible.add(name);
        }
      }
      if (opaque) break;
    }
    return visible;
  }
}
