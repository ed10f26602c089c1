// Shared state while converting raw nodes to typed instructions: collected errors and warnings,
// and source locations for nodes and for words inside them.
import { TsbuildError, type DiagnosticCode, type SourceLocation } from '../core/index.js';
import type { EscapeToken } from './directives.js';
import type { RawNode } from './raw-node.js';
import type { InstructionRange, ParseWarning } from './types.js';

export class ParseContext {
  readonly errors: TsbuildError[] = [];
  readonly warnings: ParseWarning[] = [];

  constructor(
    readonly file: string,
    readonly lines: readonly string[],
    readonly escapeToken: EscapeToken,
  ) {}

  range(node: RawNode): InstructionRange {
    return { file: this.file, line: node.startLine, column: node.column, endLine: node.endLine, endColumn: node.endColumn };
  }

  /** Where `needle` first appears inside the node's lines (e.g. a flag), else the whole node. */
  locate(node: RawNode, needle?: string): SourceLocation {
    if (needle) {
      for (let l = node.startLine; l <= node.endLine; l++) {
        // Skip the keyword itself so `ONBUILD ONBUILD` points at the second one.
        const from = l === node.startLine ? node.column - 1 + node.keyword.length : 0;
        const idx = (this.lines[l - 1] ?? '').indexOf(needle, from);
        if (idx >= 0) return { file: this.file, line: l, column: idx + 1, endLine: l, endColumn: idx + 1 + needle.length };
      }
    }
    return this.range(node);
  }

  error(code: DiagnosticCode, message: string, node: RawNode, needle?: string): void {
    this.errors.push(new TsbuildError(code, message, { location: this.locate(node, needle) }));
  }

  warn(code: string, message: string, node: RawNode): void {
    this.warnings.push({ code, message, location: this.range(node) });
  }
}
