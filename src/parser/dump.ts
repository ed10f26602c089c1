// Output forms of the untyped AST: BuildKit's `Dump()` s-expressions and the `parse --json` shape.
import { DiagnosticsError } from '../core/index.js';
import { goQuote } from './go-text.js';
import type { RawNode } from './raw-node.js';
import { parseRaw } from './raw-parse.js';

export interface RawHeredocJson {
  name: string;
  content: string;
  chomp: boolean;
  expand: boolean;
}

export interface RawNodeJson {
  instruction: string;
  flags: string[];
  args: string[];
  child?: RawNodeJson;
  heredocs: RawHeredocJson[];
  startLine: number;
  endLine: number;
}

/** One node as BuildKit's Node.Dump() prints it. */
export function dumpNode(node: RawNode): string {
  let s = node.instruction;
  if (node.flags.length > 0) s += ` [${node.flags.map(goQuote).join(' ')}]`;
  for (const arg of node.args) s += ' ' + goQuote(arg);
  if (node.child) s += ` (${dumpNode(node.child)})`;
  return s.trim();
}

/** Parses and throws every syntax error at once. */
export function parseRawOrThrow(text: string, file: string): ReturnType<typeof parseRaw> {
  const result = parseRaw(text, file);
  if (result.errors.length > 0) throw new DiagnosticsError(result.errors);
  return result;
}

/** The whole file in BuildKit's AST dump format (no trailing newline, like `Dump()`). */
export function dumpBuildkit(text: string, file: string): string {
  return parseRawOrThrow(text, file)
    .nodes.map((n) => `(${dumpNode(n)})`)
    .join('\n');
}

function toJson(node: RawNode): RawNodeJson {
  return {
    instruction: node.instruction,
    flags: [...node.flags],
    args: [...node.args],
    ...(node.child ? { child: toJson(node.child) } : {}),
    heredocs: node.heredocs.map((h) => ({ name: h.name, content: h.content, chomp: h.chomp, expand: h.expand })),
    startLine: node.startLine,
    endLine: node.endLine,
  };
}

export function parseToJson(text: string, file: string): RawNodeJson[] {
  return parseRawOrThrow(text, file).nodes.map(toJson);
}
