// Public word expansion API (BuildKit's ProcessWord / ProcessWords) with tsbuild errors.
import { TsbuildError, type SourceLocation } from '../core/index.js';
import { LexError, lexProcess, type LexResult } from './shell-lex.js';

export interface ExpandOptions {
  escape: '\\' | '`';
  lookup: (name: string) => string | undefined;
}

function run(word: string, opts: ExpandOptions, location?: SourceLocation): LexResult {
  try {
    return lexProcess(word, { escapeToken: opts.escape }, opts.lookup);
  } catch (e) {
    if (e instanceof LexError) {
      throw new TsbuildError(e.required ? 'TSB1009' : 'TSB1008', e.message, location ? { location } : {});
    }
    throw e;
  }
}

function usedOf(r: LexResult): Set<string> {
  return new Set([...r.matched, ...r.unmatched]);
}

/** One word: quotes removed, variables expanded. `used` lists every variable referenced, set or not. */
export function expandWord(word: string, opts: ExpandOptions, location?: SourceLocation): { value: string; used: Set<string> } {
  const r = run(word, opts, location);
  return { value: r.word, used: usedOf(r) };
}

/** Like expandWord, then split into words on unquoted whitespace (whitespace from variable values splits too). */
export function expandWords(word: string, opts: ExpandOptions, location?: SourceLocation): { values: string[]; used: Set<string> } {
  const r = run(word, opts, location);
  return { values: r.words, used: usedOf(r) };
}
