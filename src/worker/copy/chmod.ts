// --chmod values: octal ('755', '4755') or symbolic chmod(1) clauses ('u+x,g-w', 'go=u-w', '+X').
import { TsbuildError } from '../../core/index.js';

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;
const RWXU = 0o700;
const RWXG = 0o070;
const RWXO = 0o007;
const ALL_R = 0o444;
const ALL_W = 0o222;
const ALL_X = 0o111;
const STANDARD = S_ISUID | S_ISGID | RWXU | RWXG | RWXO;

/** One step of a symbolic mode, applied in order (BSD setmode's command list). */
type Cmd =
  | { op: '+' | '-' | 'X'; bits: number }
  | { op: 'u' | 'g' | 'o'; targets: number; clear: boolean; set: boolean };

export interface ModeChange {
  /** The permission bits (0o7777) the entry ends up with. */
  apply(perm: number, isDir: boolean): number;
  readonly text: string;
}

function bad(spec: string, why: string): TsbuildError {
  return new TsbuildError('TSB2105', `invalid --chmod value ${JSON.stringify(spec)}: ${why}`);
}

/** Parses a --chmod value as BuildKit does; a malformed value → TSB2105. */
export function parseChmod(spec: string): ModeChange {
  if (/^[0-9]+$/.test(spec)) {
    if (!/^[0-7]+$/.test(spec)) throw bad(spec, 'it should be an octal number between 0 and 07777');
    const v = Number.parseInt(spec, 8);
    if (v > 0o7777) throw bad(spec, 'it should be an octal number between 0 and 07777');
    return { text: spec, apply: () => v };
  }
  if (spec === '' || /^[0-9]/.test(spec)) throw bad(spec, 'it should be an octal number between 0 and 07777');
  const cmds = parseSymbolic(spec);
  return { text: spec, apply: (perm, isDir) => applyCmds(cmds, perm & 0o7777, isDir) };
}

function parseSymbolic(spec: string): Cmd[] {
  const cmds: Cmd[] = [];
  const add = (op: '+' | '-' | '=' | 'X', who: number, bits: number): void => {
    if (op === '=') {
      cmds.push({ op: '-', bits: who !== 0 ? who : STANDARD });
      op = '+';
    }
    cmds.push({ op, bits: who !== 0 ? who & bits : bits });
  };
  let s = spec;
  for (;;) {
    let who = 0;
    for (;;) {
      if (s.length === 0) throw bad(spec, 'missing operator');
      const c = s[0];
      if (c === 'a') who |= STANDARD;
      else if (c === 'u') who |= S_ISUID | RWXU;
      else if (c === 'g') who |= S_ISGID | RWXG;
      else if (c === 'o') who |= RWXO;
      else break;
      s = s.slice(1);
    }
    // One clause may chain several operators, as in `go=u-w`.
    let equalDone = false;
    for (;;) {
      const op = s[0];
      s = s.slice(1);
      if (op !== '+' && op !== '-' && op !== '=') throw bad(spec, `unexpected ${JSON.stringify(op ?? '')}`);
      if (op === '=') equalDone = false;
      who &= ~S_ISVTX;
      let perm = 0;
      let permX = 0;
      for (;; s = s.slice(1)) {
        const c = s[0];
        if (c === 'r') perm |= ALL_R;
        else if (c === 'w') perm |= ALL_W;
        else if (c === 'x') perm |= ALL_X;
        else if (c === 'X') {
          if (op === '+') permX = ALL_X;
        } else if (c === 's') {
          // set-id bits mean nothing for "other" alone
          if (who === 0 || (who & ~RWXO) !== 0) perm |= S_ISUID | S_ISGID;
        } else if (c === 't') {
          if (who === 0 || (who & ~RWXO) !== 0) {
            who |= S_ISVTX;
            perm |= S_ISVTX;
          }
        } else if (c === 'u' || c === 'g' || c === 'o') {
          if (perm !== 0) add(op, who, perm);
          perm = 0;
          if (op === '=') equalDone = true;
          if (permX !== 0) add('X', who, permX);
          permX = 0;
          const targets = who === 0 ? 0o444 : who & 0o444;
          cmds.push({ op: c, targets, clear: op !== '+', set: op !== '-' });
        } else {
          if (perm !== 0 || (op === '=' && !equalDone)) {
            if (op === '=') equalDone = true;
            add(op, who, perm);
          }
          if (permX !== 0) add('X', who, permX);
          break;
        }
      }
      if (s.length === 0) return cmds;
      if (s[0] === ',') {
        s = s.slice(1);
        break;
      }
    }
  }
}

function applyCmds(cmds: Cmd[], perm: number, isDir: boolean): number {
  const original = perm;
  let m = perm;
  for (const c of cmds) {
    if (!('targets' in c)) {
      if (c.op === '+') m |= c.bits;
      else if (c.op === '-') m &= ~c.bits;
      else if ((original & ALL_X) !== 0 || isDir) m |= c.bits;
    } else {
      // Copy one class's rwx onto the target classes (u=0o400, g=0o040, o=0o004 flags).
      const value = c.op === 'u' ? (m & RWXU) >> 6 : c.op === 'g' ? (m & RWXG) >> 3 : m & RWXO;
      const clearVal = c.set ? 0o7 : value;
      for (const [flag, shift] of [[0o400, 6], [0o040, 3], [0o004, 0]] as const) {
        if ((c.targets & flag) === 0) continue;
        if (c.clear) m &= ~(clearVal << shift);
        if (c.set) m |= value << shift;
      }
    }
  }
  return m & 0o7777;
}
