// Helpers shared by the per-instruction converters (raw node → typed instruction).
import type { ParseContext } from './context.js';
import { trimSpace } from './go-text.js';
import { chompHeredocContent } from './heredoc.js';
import type { RawHeredoc, RawNode } from './raw-node.js';
import type { CommandForm, Heredoc, InstructionRange } from './types.js';

export function base(node: RawNode, ctx: ParseContext): { original: string; location: InstructionRange } {
  return { original: trimSpace(node.original), location: ctx.range(node) };
}

export function commandForm(node: RawNode): CommandForm {
  return node.json ? { form: 'exec', args: [...node.args] } : { form: 'shell', command: node.args.join(' ') };
}

/** Typed heredocs carry their final content: with `<<-` the leading tabs are already removed. */
export function typedHeredoc(h: RawHeredoc): Heredoc {
  return { name: h.name, content: h.chomp ? chompHeredocContent(h.content) : h.content, chomp: h.chomp, expand: h.expand };
}

export function upper(node: RawNode): string {
  return node.keyword.toUpperCase();
}

/** Reports and returns false unless the node has exactly one argument. */
export function exactlyOne(node: RawNode, ctx: ParseContext): boolean {
  if (node.args.length === 1) return true;
  ctx.error('TSB1005', `${upper(node)} requires exactly one argument`, node);
  return false;
}

export function atLeastOne(node: RawNode, ctx: ParseContext): boolean {
  if (node.args.length > 0) return true;
  ctx.error('TSB1005', `${upper(node)} requires at least one argument`, node);
  return false;
}
