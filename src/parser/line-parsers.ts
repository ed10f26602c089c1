// Per-instruction argument splitting, as BuildKit's line parsers do it (quotes kept, JSON arrays,
// key/value/separator triples for ENV and LABEL, ONBUILD's nested instruction).
import { goQuote, goSplit, isSpace, trimLeftSpace } from './go-text.js';
import { WHITESPACE, splitCommand } from './split-command.js';

export class LineParseError extends Error {}

/** A node without source positions: what one logical line parses into. */
export interface LineNode {
  keyword: string;
  original: string;
  flags: string[];
  args: string[];
  json: boolean;
  child?: LineNode;
}

interface Parsed {
  args: string[];
  json: boolean;
  child?: LineNode;
}

type LineParser = (rest: string, escapeToken: string) => Parsed;

const none = (): Parsed => ({ args: [], json: false });

/** Words separated by whitespace; quotes and escapes are kept in the words. */
export function parseWords(rest: string, escapeToken: string): string[] {
  const chars = Array.from(rest);
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOK = false;
  let word = '';
  for (let pos = 0; pos <= chars.length; pos++) {
    const atEnd = pos === chars.length;
    let ch = atEnd ? '' : (chars[pos] as string);
    if (phase === 'spaces') {
      if (atEnd) break;
      if (isSpace(ch)) continue;
      phase = 'word';
    }
    if (atEnd) {
      if (blankOK || word.length > 0) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escapeToken) {
        if (pos + 1 === chars.length) continue;
        word += ch;
        pos++;
        ch = chars[pos] as string;
      }
      word += ch;
      continue;
    }
    if (ch === quote) phase = 'word';
    if (ch === escapeToken && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      pos++;
      word += ch;
      ch = chars[pos] as string;
    }
    word += ch;
  }
  return words;
}

function parseNameVal(rest: string, key: string, escapeToken: string): Parsed {
  const words = parseWords(rest, escapeToken);
  const first = words[0];
  if (first === undefined) return none();
  if (!first.includes('=')) {
    // Legacy `KEY name value`: the value is the rest of the line, verbatim.
    const parts = goSplit(rest, WHITESPACE, 2);
    if (parts.length < 2) throw new LineParseError(`${key} must have two arguments`);
    return { args: [parts[0] ?? '', parts[1] ?? '', ''], json: false };
  }
  const args: string[] = [];
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq < 0) throw new LineParseError(`Syntax error - can't find = in ${goQuote(word)}. Must be of the form: name=value`);
    args.push(word.slice(0, eq), word.slice(eq + 1), '=');
  }
  return { args, json: false };
}

function parseStringsWhitespaceDelimited(rest: string): Parsed {
  if (rest === '') return none();
  return { args: goSplit(rest, WHITESPACE, -1), json: false };
}

function parseString(rest: string): Parsed {
  return rest === '' ? none() : { args: [rest], json: false };
}

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

class NotJson extends Error {}

/** A JSON array of strings, or NotJson; a JSON array with a non-string element is a hard error. */
function parseJSON(rest: string): Parsed {
  const text = trimLeftSpace(rest);
  if (!text.startsWith('[')) throw new NotJson();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new NotJson();
  }
  if (!Array.isArray(value)) throw new NotJson();
  const args: string[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'string') throw new LineParseError('when using JSON array syntax, arrays must be comprised of strings only');
    // Go's decoder turns unpaired surrogate escapes into U+FFFD.
    args.push(item.replace(loneSurrogate, '\ufffd'));
  }
  return { args, json: true };
}

function parseMaybeJSON(rest: string): Parsed {
  if (rest === '') return none();
  try {
    return parseJSON(rest);
  } catch (e) {
    if (!(e instanceof NotJson)) throw e;
  }
  return { args: [rest], json: false };
}

function parseMaybeJSONToList(rest: string): Parsed {
  try {
    return parseJSON(rest);
  } catch (e) {
    if (!(e instanceof NotJson)) throw e;
  }
  return parseStringsWhitespaceDelimited(rest);
}

function parseHealthConfig(rest: string): Parsed {
  const chars = Array.from(rest);
  let sep = 0;
  while (sep < chars.length && !isSpace(chars[sep] as string)) sep++;
  let next = sep;
  while (next < chars.length && isSpace(chars[next] as string)) next++;
  if (sep === 0) return none();
  const cmd = parseMaybeJSON(chars.slice(next).join(''));
  return { args: [chars.slice(0, sep).join(''), ...cmd.args], json: cmd.json };
}

function parseSubCommand(rest: string, escapeToken: string): Parsed {
  if (rest === '') return none();
  return { args: [], json: false, child: parseLine(rest, escapeToken) };
}

const DISPATCH: Record<string, LineParser> = {
  add: parseMaybeJSONToList,
  arg: (rest, esc) => ({ args: parseWords(rest, esc), json: false }),
  cmd: parseMaybeJSON,
  copy: parseMaybeJSONToList,
  entrypoint: parseMaybeJSON,
  env: (rest, esc) => parseNameVal(rest, 'ENV', esc),
  expose: parseStringsWhitespaceDelimited,
  from: parseStringsWhitespaceDelimited,
  healthcheck: parseHealthConfig,
  label: (rest, esc) => parseNameVal(rest, 'LABEL', esc),
  maintainer: parseString,
  onbuild: parseSubCommand,
  run: parseMaybeJSON,
  shell: parseMaybeJSON,
  stopsignal: parseString,
  user: parseString,
  volume: parseMaybeJSONToList,
  workdir: parseString,
};

/** Parses one logical line; unknown instructions keep a single empty argument, as BuildKit's AST does. */
export function parseLine(line: string, escapeToken: string): LineNode {
  const { keyword, flags, rest } = splitCommand(line, escapeToken);
  const fn = Object.hasOwn(DISPATCH, keyword.toLowerCase()) ? DISPATCH[keyword.toLowerCase()] : undefined;
  const parsed: Parsed = fn ? fn(rest, escapeToken) : { args: [''], json: false };
  const node: LineNode = { keyword, original: line, flags, args: parsed.args, json: parsed.json };
  if (parsed.child) node.child = parsed.child;
  return node;
}
