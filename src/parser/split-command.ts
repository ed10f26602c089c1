// Splits a logical line into keyword, leading `--flag` words and the argument text (BuildKit splitCommand).
import { isSpace, goSplit, trimSpace } from './go-text.js';

export const WHITESPACE = /[\t\v\f\r ]+/;

export interface SplitLine {
  keyword: string;
  flags: string[];
  rest: string;
}

export function splitCommand(line: string, escapeToken: string): SplitLine {
  const parts = goSplit(trimSpace(line), WHITESPACE, 2);
  const keyword = parts[0] ?? '';
  if (parts.length < 2) return { keyword, flags: [], rest: '' };
  const { rest, flags } = extractBuilderFlags(parts[1] ?? '', escapeToken);
  return { keyword, flags, rest: trimSpace(rest) };
}

/** Consumes words starting with `--` (quotes and escapes removed); a bare `--` ends the flags. */
function extractBuilderFlags(line: string, escapeToken: string): { rest: string; flags: string[] } {
  const chars = Array.from(line);
  const offsets: number[] = [];
  let off = 0;
  for (const c of chars) {
    offsets.push(off);
    off += c.length;
  }
  offsets.push(off);
  const restFrom = (i: number): string => line.slice(offsets[i]);

  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= chars.length; pos++) {
    const atEnd = pos === chars.length;
    let ch = atEnd ? '' : (chars[pos] as string);
    if (phase === 'spaces') {
      if (atEnd) break;
      if (isSpace(ch)) continue;
      if (ch !== '-' || pos + 1 === chars.length || chars[pos + 1] !== '-') return { rest: restFrom(pos), flags: words };
      phase = 'word';
    }
    if (atEnd) {
      if (word !== '--' && (blankOK || word.length > 0)) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (word === '--') return { rest: restFrom(pos), flags: words };
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      if (ch === escapeToken) {
        if (pos + 1 === chars.length) continue;
        pos++;
        ch = chars[pos] as string;
      }
      word += ch;
      continue;
    }
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === escapeToken) {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      pos++;
      ch = chars[pos] as string;
    }
    word += ch;
  }
  return { rest: '', flags: words };
}
