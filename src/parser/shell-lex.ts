// Shell-like word processing of Dockerfile words (quotes, escapes, `$VAR` / `${VAR...}` expansion),
// following BuildKit's frontend/dockerfile/shell lexer rule for rule.
import { goQuote } from './go-text.js';
import { PatternError, goReplaceAll, shellPatternToRegex, trimPrefix, trimSuffix } from './shell-pattern.js';
import { WordCollector } from './shell-words.js';

export interface LexOptions {
  escapeToken: string;
  /** Keep quote characters in the output. */
  rawQuotes?: boolean;
  /** Keep escape characters in the output. */
  rawEscapes?: boolean;
  /** Treat quotes as ordinary characters. */
  skipProcessQuotes?: boolean;
  /** Leave references to unset variables as written. */
  skipUnsetEnv?: boolean;
}

export type Lookup = (name: string) => string | undefined;

/** A failure while processing a word; `required` marks `${V?msg}` / `${V:?msg}` on an unset value. */
export class LexError extends Error {
  constructor(
    message: string,
    readonly required: boolean,
  ) {
    super(message);
  }
}

export interface LexResult {
  word: string;
  words: string[];
  /** Variables referenced that were set. */
  matched: Set<string>;
  /** Variables referenced that were not set. */
  unmatched: Set<string>;
}

const EOF = '';

const letter = /^\p{L}$/u;
const digit = /^\p{Nd}$/u;

function isSpecialParam(ch: string): boolean {
  return '@*#?-$!0'.includes(ch) && ch.length === 1;
}

class ShellWord {
  private readonly chars: string[];
  private pos = 0;
  private rawEscapes: boolean;
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();

  constructor(
    word: string,
    private readonly opts: LexOptions,
    private readonly lookup: Lookup,
  ) {
    this.chars = Array.from(word);
    // Go's text/scanner silently drops a byte-order mark at the very start.
    if (this.chars[0] === '\ufeff') this.pos = 1;
    this.rawEscapes = opts.rawEscapes ?? false;
  }

  private peek(): string {
    return this.chars[this.pos] ?? EOF;
  }

  private next(): string {
    const ch = this.chars[this.pos] ?? EOF;
    if (ch !== EOF) this.pos++;
    return ch;
  }

  process(source: string): { word: string; words: string[] } {
    try {
      return this.processStopOn(EOF, this.rawEscapes);
    } catch (e) {
      if (e instanceof LexError) throw new LexError(`failed to process ${goQuote(source)}: ${e.message}`, e.required);
      throw e;
    }
  }

  private processStopOn(stopChar: string, rawEscapes: boolean): { word: string; words: string[] } {
    let result = '';
    const words = new WordCollector();
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      while (this.peek() !== EOF) {
        let ch = this.peek();
        if (stopChar !== EOF && ch === stopChar) {
          this.next();
          return { word: result, words: words.finish() };
        }
        const special = this.special(ch);
        if (special) {
          const tmp = special();
          result += tmp;
          if (ch === '$') words.addString(tmp);
          else words.addRawString(tmp);
          continue;
        }
        ch = this.next();
        if (ch === this.opts.escapeToken) {
          if (this.rawEscapes) {
            words.addRawChar(ch);
            result += ch;
          }
          ch = this.next();
          if (ch === EOF) break;
          words.addRawChar(ch);
        } else {
          words.addChar(ch);
        }
        result += ch;
      }
      if (stopChar !== EOF) throw new LexError(`unexpected end of statement while looking for matching ${stopChar}`, false);
      return { word: result, words: words.finish() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  private special(ch: string): (() => string) | undefined {
    if (ch === '$') return () => this.processDollar();
    if (ch === '<') return () => this.processPossibleHeredoc();
    if (!this.opts.skipProcessQuotes) {
      if (ch === "'") return () => this.processSingleQuote();
      if (ch === '"') return () => this.processDoubleQuote();
    }
    return undefined;
  }

  private processSingleQuote(): string {
    let result = '';
    let ch = this.next();
    if (this.opts.rawQuotes) result += ch;
    for (;;) {
      ch = this.next();
      if (ch === EOF) throw new LexError('unexpected end of statement while looking for matching single-quote', false);
      if (ch === "'") {
        if (this.opts.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  private processDoubleQuote(): string {
    let result = '';
    const open = this.next();
    if (this.opts.rawQuotes) result += open;
    for (;;) {
      const peek = this.peek();
      if (peek === EOF) throw new LexError('unexpected end of statement while looking for matching double-quote', false);
      if (peek === '"') {
        const ch = this.next();
        if (this.opts.rawQuotes) result += ch;
        return result;
      }
      if (peek === '$') {
        result += this.processDollar();
        continue;
      }
      let ch = this.next();
      if (ch === this.opts.escapeToken) {
        if (this.rawEscapes) result += ch;
        const after = this.peek();
        if (after === EOF) continue;
        if (after === '"' || after === '$' || after === this.opts.escapeToken) ch = this.next();
      }
      result += ch;
    }
  }

  private getEnv(name: string): { value: string; set: boolean } {
    const v = this.lookup(name);
    if (v !== undefined) {
      this.matched.add(name);
      return { value: v, set: true };
    }
    this.unmatched.add(name);
    return { value: '', set: false };
  }

  private processName(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name.length === 0 && digit.test(ch)) {
        while (this.peek() !== EOF && digit.test(this.peek())) name += this.next();
        return name;
      }
      if (name.length === 0 && isSpecialParam(ch)) return this.next();
      if (!letter.test(ch) && !digit.test(ch) && ch !== '_') break;
      name += this.next();
    }
    return name;
  }

  private processPossibleHeredoc(): string {
    this.next();
    if (this.peek() !== '<') return '<';
    this.next();
    let space = '';
    while (this.peek() === '\t' || this.peek() === '\r' || this.peek() === ' ') space += this.next();
    return '<<' + space;
  }

  private stopOnOrMissing(stop: string, rawEscapes: boolean, missing: string): string {
    try {
      return this.processStopOn(stop, rawEscapes).word;
    } catch (e) {
      if (e instanceof LexError && this.peek() === EOF) throw new LexError(missing, false);
      throw e;
    }
  }

  private processDollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const { value, set } = this.getEnv(name);
      if (!set && this.opts.skipUnsetEnv) return '$' + name;
      return value;
    }
    this.next();
    const first = this.peek();
    if (first === EOF) throw new LexError("syntax error: missing '}'", false);
    if (first === '{' || first === '}' || first === ':') throw new LexError('syntax error: bad substitution', false);
    const name = this.processName();
    let ch = this.next();
    // Go renders the end-of-input rune as U+FFFD in messages.
    let chs = ch === EOF ? '\ufffd' : ch;
    if (ch === '}') {
      const { value, set } = this.getEnv(name);
      if (!set && this.opts.skipUnsetEnv) return `\${${name}}`;
      return value;
    }
    if (ch === '/') return this.processReplace(name);
    let nullIsUnset = false;
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.next();
      chs += ch === EOF ? '\ufffd' : ch;
    } else if (!'+-?#%'.includes(ch) || ch === EOF) {
      throw new LexError(`unsupported modifier (${chs}) in substitution`, false);
    }
    const rawEscapes = ch === '#' || ch === '%';
    if (nullIsUnset && rawEscapes) throw new LexError(`unsupported modifier (${chs}) in substitution`, false);
    let word = this.stopOnOrMissing('}', rawEscapes, "syntax error: missing '}'");
    const { value, set } = this.getEnv(name);
    if (this.opts.skipUnsetEnv && !set) return `\${${name}${chs}${word}}`;
    switch (ch) {
      case '-':
        return !set || (nullIsUnset && value === '') ? word : value;
      case '+':
        return !set || (nullIsUnset && value === '') ? '' : word;
      case '?':
        if (!set) throw new LexError(`${name}: ${word !== '' ? word : 'is not allowed to be unset'}`, true);
        if (nullIsUnset && value === '') throw new LexError(`${name}: ${word !== '' ? word : 'is not allowed to be empty'}`, true);
        return value;
      case '%':
      case '#': {
        let greedy = false;
        if (word.length > 0 && word[0] === ch) {
          greedy = true;
          word = word.slice(1);
        }
        try {
          return ch === '%' ? trimSuffix(word, value, greedy) : trimPrefix(word, value, greedy);
        } catch (e) {
          if (e instanceof PatternError) throw new LexError(`invalid pattern (${word}) in substitution: ${e.message}`, false);
          throw e;
        }
      }
      default:
        throw new LexError(`unsupported modifier (${chs}) in substitution`, false);
    }
  }

  private processReplace(name: string): string {
    const replaceAll = this.peek() === '/';
    if (replaceAll) this.next();
    const pattern = this.stopOnOrMissing('/', true, "syntax error: missing '/' in ${}");
    const replacement = this.stopOnOrMissing('}', true, "syntax error: missing '}'");
    const { value, set } = this.getEnv(name);
    if (this.opts.skipUnsetEnv && !set) return `\${${name}/${pattern}/${replacement}}`;
    let re: RegExp;
    try {
      re = shellPatternToRegex(pattern, true, false);
    } catch (e) {
      if (e instanceof PatternError) throw new LexError(`invalid pattern (${pattern}) in substitution: ${e.message}`, false);
      throw e;
    }
    if (replaceAll) return goReplaceAll(re, value, replacement);
    const m = re.exec(value);
    if (!m) return value;
    return value.slice(0, m.index) + replacement + value.slice(m.index + m[0].length);
  }
}

/** Processes one word: quotes removed, variables expanded; also returns the word split on unquoted spaces. */
export function lexProcess(word: string, opts: LexOptions, lookup: Lookup): LexResult {
  const sw = new ShellWord(word, opts, lookup);
  const { word: out, words } = sw.process(word);
  return { word: out, words, matched: sw.matched, unmatched: sw.unmatched };
}
