// Reads selected xattrs of a whole tree with one `getfattr -R` run (Node has no xattr API).
import path from 'node:path';
import { runTool } from './tools.js';

/** xattrs the diff needs: file capabilities (carried into layers) and overlay metadata. */
export const DIFF_XATTR_PATTERN = '^(security\\.capability|trusted\\.overlay\\.|user\\.overlay\\.)';

export type XattrIndex = Map<string, Map<string, Buffer>>;

/** Undoes getfattr's quoting: `\\` and three-digit octal escapes, on raw bytes. */
function unquote(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 0x5c && s[i + 1] === '\\') {
      bytes.push(0x5c);
      i++;
    } else if (ch === 0x5c && /^[0-7]{3}$/.test(s.slice(i + 1, i + 4))) {
      bytes.push(parseInt(s.slice(i + 1, i + 4), 8));
      i += 3;
    } else bytes.push(ch & 0xff);
  }
  return Buffer.from(bytes);
}

/** Parses `getfattr -d -e hex --absolute-names` output into root-relative paths. */
export function parseGetfattr(out: Buffer, root: string): XattrIndex {
  const index: XattrIndex = new Map();
  const prefix = root.endsWith('/') ? root : `${root}/`;
  let current: Map<string, Buffer> | undefined;
  for (const line of out.toString('latin1').split('\n')) {
    if (line.startsWith('# file: ')) {
      const abs = unquote(line.slice(8)).toString('utf8');
      const rel = abs === root ? '' : abs.startsWith(prefix) ? abs.slice(prefix.length) : undefined;
      current = rel === undefined ? undefined : new Map();
      if (current && rel !== undefined) index.set(rel, current);
      continue;
    }
    if (!current || line === '') continue;
    const eq = line.indexOf('=');
    const name = unquote(eq === -1 ? line : line.slice(0, eq)).toString('utf8');
    const raw = eq === -1 ? '' : line.slice(eq + 1);
    current.set(name, raw.startsWith('0x') ? Buffer.from(raw.slice(2), 'hex') : unquote(raw.replace(/^"|"$/g, '')));
  }
  return index;
}

/**
 * xattrs matching DIFF_XATTR_PATTERN for every file under root, keyed by relative path ('' is the
 * root). trusted.* names are only visible to root, which is what overlay upper dirs need anyway.
 */
export async function readTreeXattrs(root: string, signal?: AbortSignal): Promise<XattrIndex> {
  const abs = path.resolve(root);
  const out = await runTool('getfattr', ['-R', '-h', '-d', '-m', DIFF_XATTR_PATTERN, '-e', 'hex', '--absolute-names', abs], {
    ...(signal ? { signal } : {}),
  });
  return parseGetfattr(out, abs);
}
