// BuildKit-compatible line scanner: directives, continuations, comments, heredoc bodies → RawNode list.
// Unlike BuildKit it keeps going after a bad instruction so every problem is reported at once.
import { TsbuildError, type DiagnosticCode } from '../core/index.js';
import { DirectiveError, DirectiveState, type Directive, type EscapeToken } from './directives.js';
import { trimLeftSpace } from './go-text.js';
import { heredocsFromLine } from './heredoc.js';
import { LineParseError, parseLine, type LineNode } from './line-parsers.js';
import type { RawNode } from './raw-node.js';
import type { ParseWarning } from './types.js';

export interface RawParseResult {
  nodes: RawNode[];
  directives: Directive[];
  escapeToken: EscapeToken;
  warnings: ParseWarning[];
  errors: TsbuildError[];
  /** Source lines without their line terminators (index 0 = line 1). */
  lines: string[];
}

const HEREDOC_INSTRUCTIONS = new Set(['add', 'copy', 'run']);
// Go's bufio.Scanner refuses longer lines.
const MAX_LINE = 65535;

/** Lines including their `\n`, like BuildKit's scanner. */
function scanLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) break;
    out.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

function trimNewline(s: string): string {
  return s.replace(/[\r\n]+$/, '');
}

function isComment(s: string): boolean {
  return trimLeftSpace(s).startsWith('#');
}

function canContainHeredoc(node: LineNode): boolean {
  const target = node.keyword.toLowerCase() === 'onbuild' && node.child ? node.child : node;
  return HEREDOC_INSTRUCTIONS.has(target.keyword.toLowerCase()) && !target.json;
}

function toRaw(n: LineNode, pos: Pick<RawNode, 'startLine' | 'endLine' | 'column' | 'endColumn'>): RawNode {
  const raw: RawNode = {
    keyword: n.keyword,
    instruction: n.keyword.toLowerCase(),
    original: n.original,
    flags: n.flags,
    args: n.args,
    json: n.json,
    heredocs: [],
    ...pos,
  };
  if (n.child) raw.child = toRaw(n.child, pos);
  return raw;
}

export function parseRaw(text: string, file: string): RawParseResult {
  const d = new DirectiveState();
  const all = scanLines(text);
  if (all[0]?.startsWith('\ufeff')) all[0] = all[0].slice(1);
  const lines = all.map(trimNewline);
  const nodes: RawNode[] = [];
  const warnings: ParseWarning[] = [];
  const errors: TsbuildError[] = [];
  const error = (code: DiagnosticCode, message: string, line: number, endLine = line): void => {
    const column = 1 + ((lines[line - 1] ?? '').length - trimLeftSpace(lines[line - 1] ?? '').length);
    const endColumn = (lines[endLine - 1] ?? '').length + 1;
    errors.push(new TsbuildError(code, message, { location: { file, line, column, endLine, endColumn } }));
  };
  const tooLong = all.findIndex((l) => Buffer.byteLength(l.endsWith('\n') ? l.slice(0, -1) : l, 'utf8') > MAX_LINE);
  if (tooLong >= 0) all.length = tooLong;
  let sawInstruction = false;
  let i = 0;
  let current = 0;

  const processLine = (raw: string, stripLeft: boolean): string => {
    let token = trimNewline(raw);
    if (stripLeft) token = trimLeftSpace(token);
    try {
      d.consider(token);
    } catch (e) {
      if (!(e instanceof DirectiveError)) throw e;
      error('TSB1011', e.message, current + 1);
    }
    return isComment(token) ? '' : token;
  };
  const trimContinuation = (line: string): [string, boolean] => {
    if (d.continuation.test(line)) return [line.replace(d.continuation, '$1'), false];
    return [line, true];
  };

  outer: while (i < all.length) {
    const raw = all[i++] as string;
    let [buf, eol] = trimContinuation(processLine(raw, true));
    current++;
    const startLine = current;
    if (eol && buf.length === 0) continue;
    let hasEmptyContinuation = false;
    while (!eol && i < all.length) {
      const next = all[i++] as string;
      const processed = processLine(next, false);
      current++;
      if (isComment(next)) continue;
      if (trimLeftSpace(processed).length === 0) {
        hasEmptyContinuation = true;
        continue;
      }
      const [part, end] = trimContinuation(processed);
      buf += part;
      eol = end;
    }
    sawInstruction = true;
    if (hasEmptyContinuation) {
      warnings.push({
        code: 'TSB1015',
        message: `Empty continuation line found in: ${buf}`,
        location: { file, line: current, column: 1 },
      });
    }
    let parsed: LineNode;
    try {
      parsed = parseLine(buf, d.escapeToken);
    } catch (e) {
      if (!(e instanceof LineParseError)) throw e;
      error('TSB1012', e.message, startLine, current);
      continue;
    }
    const node = toRaw(parsed, { startLine, endLine: current, column: 1, endColumn: 1 });
    if (canContainHeredoc(parsed) && buf.includes('<<')) {
      let markers: ReturnType<typeof heredocsFromLine> = [];
      try {
        markers = heredocsFromLine(buf);
      } catch (e) {
        error('TSB1001', e instanceof Error ? e.message : String(e), startLine, current);
      }
      for (const m of markers) {
        let content = '';
        let terminated = false;
        while (i < all.length) {
          const bodyLine = all[i++] as string;
          current++;
          let candidate = trimNewline(bodyLine);
          if (m.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === m.name) {
            terminated = true;
            break;
          }
          content += bodyLine;
        }
        if (!terminated) {
          error('TSB1007', `unterminated heredoc ${m.name}`, startLine, current);
          break outer;
        }
        node.heredocs.push({ name: m.name, content, chomp: m.chomp, expand: m.expand, fd: m.fd });
      }
    }
    setPosition(node, lines, startLine, current);
    nodes.push(node);
  }
  if (tooLong >= 0) error('TSB1001', `dockerfile line greater than max allowed size of ${MAX_LINE}`, tooLong + 1);
  if (!sawInstruction && errors.length === 0) error('TSB1006', 'file with no instructions', Math.max(current, 1));
  return { nodes, directives: d.found, escapeToken: d.escapeToken, warnings, errors, lines };
}

function setPosition(node: RawNode, lines: string[], startLine: number, endLine: number): void {
  const first = lines[startLine - 1] ?? '';
  node.startLine = startLine;
  node.endLine = endLine;
  node.column = 1 + first.length - trimLeftSpace(first).length;
  node.endColumn = (lines[endLine - 1] ?? '').length + 1;
  if (node.child) setPosition(node.child, lines, startLine, endLine);
}
