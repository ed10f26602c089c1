// Heredoc markers (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`) found in an instruction line.
import { lexProcess, type LexOptions } from './shell-lex.js';

export interface HeredocMarker {
  name: string;
  chomp: boolean;
  expand: boolean;
  fd: number;
}

const MARKER = /^([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)$/u;
const unset = (): undefined => undefined;

function countQuotes(s: string): number {
  let n = 0;
  for (const c of s) if (c === '"' || c === "'") n++;
  return n;
}

/**
 * The heredoc a single word introduces, or undefined. The delimiter is lexed with and without
 * quote removal: if the counts of quote characters differ, part of it was quoted and the body is
 * not expanded. Throws the lexer's error for a malformed delimiter.
 */
export function parseHeredocWord(word: string): HeredocMarker | undefined {
  const m = MARKER.exec(word);
  if (!m) return undefined;
  const rest = m[3] ?? '';
  if (rest === '') return undefined;
  const base: LexOptions = { escapeToken: '\\', skipUnsetEnv: true };
  const words = lexProcess(rest, base, unset).words;
  if (words.length !== 1) return undefined;
  const raw = lexProcess(rest, { ...base, rawQuotes: true }, unset).words;
  if (raw.length !== words.length) throw new Error(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  const name = words[0] as string;
  return {
    name,
    chomp: m[2] === '-',
    expand: countQuotes(name) === countQuotes(raw[0] as string),
    fd: Number(m[1] === '' ? 0 : m[1]),
  };
}

/** Every heredoc marker in a line, in order; a line the lexer cannot split has none. */
export function heredocsFromLine(line: string): HeredocMarker[] {
  let words: string[];
  try {
    words = lexProcess(line, { escapeToken: '\\', rawQuotes: true, rawEscapes: true, skipUnsetEnv: true }, unset).words;
  } catch {
    return [];
  }
  const out: HeredocMarker[] = [];
  for (const w of words) {
    const h = parseHeredocWord(w);
    if (h) out.push(h);
  }
  return out;
}

/** `<<-`: leading tabs removed from every line. */
export function chompHeredocContent(content: string): string {
  return content.replace(/(^|\n)\t+/g, '$1');
}
