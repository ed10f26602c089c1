// Exclude/include pattern lists with Docker's semantics (moby/patternmatcher): later patterns
// win, `!` re-includes, `**` spans directories, a path matches when it or a parent matches.
import { isBadPattern } from './match.js';
import { cleanPath } from './paths.js';

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

/** Thrown for a pattern Docker would reject; callers turn it into a located diagnostic. */
export class PatternError extends Error {
  constructor(readonly pattern: string, reason: string) {
    super(`${reason}: ${JSON.stringify(pattern)}`);
    this.name = 'PatternError';
  }
}

const REGEX_ESCAPED = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

/** One compiled pattern. `text` is the cleaned pattern without its `!`. */
export class Pattern {
  readonly dirs: string[];
  private readonly kind: MatchType;
  private readonly re?: RegExp;

  constructor(readonly text: string, readonly exclusion: boolean) {
    this.dirs = text.split('/');
    const { kind, source } = compile(text);
    this.kind = kind;
    if (kind === 'regexp') this.re = new RegExp(source, 'u');
  }

  match(p: string): boolean {
    switch (this.kind) {
      case 'exact':
        return p === this.text;
      case 'prefix':
        return p.startsWith(this.text.slice(0, -2));
      case 'suffix': {
        const suffix = this.text.slice(2);
        if (p.endsWith(suffix)) return true;
        return suffix.startsWith('/') && p === suffix.slice(1);
      }
      case 'regexp':
        return this.re?.test(p) ?? false;
    }
  }
}

/**
 * Translates a pattern to a regular expression the way patternmatcher does, then adapts the
 * RE2 text to JavaScript syntax so both engines read it alike.
 */
function compile(pattern: string): { kind: MatchType; source: string } {
  const chars = Array.from(pattern);
  let re = '^';
  let kind: MatchType = 'exact';
  let pos = 0;
  const peek = (): string | undefined => chars[pos];
  for (let i = 0; pos < chars.length; i++) {
    const ch = chars[pos++] as string;
    if (ch === '*') {
      if (peek() === '*') {
        pos++;
        if (peek() === '/') pos++;
        if (peek() === undefined) {
          if (kind === 'exact') kind = 'prefix';
          else {
            re += '.*';
            kind = 'regexp';
          }
        } else {
          re += '(.*/)?';
          kind = 'regexp';
        }
        if (i === 0) kind = 'suffix';
      } else {
        re += '[^/]*';
        kind = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      kind = 'regexp';
    } else if (REGEX_ESCAPED.has(ch)) {
      re += '\\' + ch;
    } else if (ch === '\\') {
      const next = peek();
      if (next !== undefined) {
        pos++;
        re += '\\' + next;
        kind = 'regexp';
      } else {
        re += '\\';
      }
    } else if (ch === '[' || ch === ']') {
      re += ch;
      kind = 'regexp';
    } else {
      re += ch;
    }
  }
  if (kind !== 'regexp') return { kind, source: '' };
  return { kind, source: re2ToJs(re + '$', pattern) };
}

const CLASS_ESCAPES: Record<string, string> = { d: '\\d', D: '\\D', w: '\\w', W: '\\W', t: '\\t', n: '\\n', r: '\\r', f: '\\f', v: '\\v', a: '\\x07', s: '\\t\\n\\f\\r ' };
const OUTER_ESCAPES: Record<string, string> = { ...CLASS_ESCAPES, s: '[\\t\\n\\f\\r ]', S: '[^\\t\\n\\f\\r ]', b: '\\b', B: '\\B', A: '^', z: '$' };

function escapeFor(c: string, inClass: boolean, pattern: string): string {
  const code = c.codePointAt(0) ?? 0;
  // RE2 reads a backslash before any ASCII character that is not a letter or digit as a literal.
  if (code < 0x80 && !/[A-Za-z0-9]/.test(c)) return `\\u{${code.toString(16)}}`;
  const mapped = (inClass ? CLASS_ESCAPES : OUTER_ESCAPES)[c];
  if (mapped === undefined) throw new PatternError(pattern, `unsupported escape \\${c}`);
  return mapped;
}

/** Rewrites the RE2 subset produced by compile() into an equivalent JavaScript (u-mode) regex. */
function re2ToJs(src: string, pattern: string): string {
  const cs = Array.from(src);
  let out = '';
  let inClass = false;
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i] as string;
    if (c === '\\') {
      const n = cs[++i];
      if (n === undefined) throw new PatternError(pattern, 'trailing backslash');
      out += escapeFor(n, inClass, pattern);
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
    } else if (c === '[') {
      inClass = true;
      out += '[';
      if (cs[i + 1] === '^') out += cs[++i];
      if (cs[i + 1] === ']') {
        out += '\\]';
        i++;
      }
    } else if (c === ']') {
      out += '\\]';
    } else if (c === '.') {
      out += '[^\\n]';
    } else {
      out += c;
    }
  }
  if (inClass) throw new PatternError(pattern, 'unterminated character class');
  return out;
}

/** Parent-match state carried down a directory walk (one flag per pattern). */
export type MatchInfo = readonly boolean[];

export class PatternMatcher {
  readonly patterns: Pattern[] = [];
  readonly hasExclusions: boolean;

  /** Builds a matcher; throws PatternError for patterns Docker rejects. */
  constructor(patterns: readonly string[]) {
    let exclusions = false;
    for (const raw of patterns) {
      let p = raw.trim();
      if (p === '') continue;
      p = cleanPath(p);
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw new PatternError(raw, 'illegal exclusion pattern');
        exclusion = true;
        exclusions = true;
        p = p.slice(1);
      }
      if (isBadPattern(p)) throw new PatternError(raw, 'syntax error in pattern');
      try {
        this.patterns.push(new Pattern(p, exclusion));
      } catch (e) {
        if (e instanceof PatternError) throw e;
        throw new PatternError(raw, 'syntax error in pattern');
      }
    }
    this.hasExclusions = exclusions;
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** True when `file` (or one of its parents) matches and no later exception re-includes it. */
  matchesOrParentMatches(file: string): boolean {
    const parent = dirOf(file);
    const parentDirs = parent === '.' ? [] : parent.split('/');
    let matched = false;
    for (const pat of this.patterns) {
      if (pat.exclusion !== matched) continue;
      let m = pat.match(file);
      for (let i = 0; !m && i < parentDirs.length; i++) m = pat.match(parentDirs.slice(0, i + 1).join('/'));
      if (m) matched = !pat.exclusion;
    }
    return matched;
  }

  /**
   * Walk-time variant: the parent's per-pattern results are reused (a pattern that matched a
   * parent matches its children). Pass `undefined` at the top of a walk.
   */
  matchesUsingParentResults(file: string, parent: MatchInfo | undefined): { matched: boolean; info: MatchInfo } {
    const info: boolean[] = new Array<boolean>(this.patterns.length).fill(false);
    let matched = false;
    this.patterns.forEach((pat, i) => {
      let m = parent?.[i] ?? false;
      if (!m) {
        if (pat.exclusion !== matched) return;
        m = pat.match(file);
        if (!m && parent === undefined) {
          const dir = dirOf(file);
          if (dir !== '.') {
            const parts = dir.split('/');
            for (let k = 0; !m && k < parts.length; k++) m = pat.match(parts.slice(0, k + 1).join('/'));
          }
        }
      }
      info[i] = m;
      if (m) matched = !pat.exclusion;
    });
    return { matched, info };
  }

  /**
   * True when no pattern can change the result for anything below `dir`, given the directory's
   * own walk state `info`: every pattern that did not match it has a literal start that no path
   * below it has. Everything below an included directory is then included without matching.
   */
  quietUnder(dir: string, info: MatchInfo | undefined): boolean {
    const dirSlash = dir + '/';
    return this.patterns.every((pat, i) => {
      if (info?.[i]) return true;
      const lit = literalStart(pat.text);
      return !dirSlash.startsWith(lit) && !lit.startsWith(dirSlash);
    });
  }

  /**
   * Whether a walk must still enter an excluded directory because an exception might
   * re-include something below it (fsutil's rule: any exception with wildcards, or one whose
   * literal text lies under the directory).
   */
  mayReincludeUnder(dir: string): boolean {
    if (!this.hasExclusions) return false;
    const dirSlash = dir + '/';
    for (const pat of this.patterns) {
      if (!pat.exclusion) continue;
      const lit = withoutTrailingGlob(pat.text);
      if (/[*[\]?^\\]/.test(lit)) return true;
      if ((lit + '/').startsWith(dirSlash)) return true;
    }
    return false;
  }
}

/** The text a pattern's matches must start with: everything before its first special character. */
function literalStart(p: string): string {
  const i = p.search(/[*?[\]\\]/);
  return i < 0 ? p : p.slice(0, i);
}

export function withoutTrailingGlob(p: string): string {
  if (p.endsWith('/**')) return p.slice(0, -3);
  if (p.endsWith('/*')) return p.slice(0, -2);
  return p;
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  if (i < 0) return '.';
  return cleanPath(p.slice(0, i) || '/');
}
