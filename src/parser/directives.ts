// Parser directives (`# escape=`, `# syntax=`, `# check=`): only recognised in the leading comment
// block, each at most once; the escape token also defines the line-continuation rule.
import { trimLeftSpace } from './go-text.js';

export type EscapeToken = '\\' | '`';

export class DirectiveError extends Error {}

const DIRECTIVE = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*([^\n]+?)[\t\n\f\r ]*$/;
const KNOWN = new Set(['syntax', 'escape', 'check']);

export interface Directive {
  name: 'syntax' | 'escape' | 'check';
  value: string;
  line: number;
}

export class DirectiveState {
  escapeToken: EscapeToken = '\\';
  continuation: RegExp = continuationRegex('\\');
  readonly found: Directive[] = [];
  private line = 0;
  private done = false;
  private readonly seen = new Set<string>();

  /**
   * Looks at one (already left-trimmed) line. Returns true when it was a directive.
   * Throws DirectiveError for a repeated directive or an invalid escape token.
   */
  consider(text: string): boolean {
    this.line++;
    if (this.done) return false;
    if (!text.startsWith('#')) {
      this.done = true;
      return false;
    }
    const m = DIRECTIVE.exec(trimLeftSpace(text.slice(1)));
    const key = m?.[1]?.toLowerCase();
    const value = m?.[2];
    if (key === undefined || value === undefined || !KNOWN.has(key)) {
      this.done = true;
      return false;
    }
    if (this.seen.has(key)) throw new DirectiveError(`only one ${key} parser directive can be used`);
    this.seen.add(key);
    if (key === 'escape') {
      if (value !== '`' && value !== '\\') throw new DirectiveError(`invalid escape token '${value}' does not match \` or \\`);
      this.escapeToken = value;
      this.continuation = continuationRegex(value);
    }
    this.found.push({ name: key as Directive['name'], value, line: this.line });
    return true;
  }
}

/** The escape token as last non-blank character continues the line, unless it is itself escaped. */
function continuationRegex(token: EscapeToken): RegExp {
  const t = token === '\\' ? '\\\\' : '`';
  return new RegExp(`([^${t}])${t}[ \\t]*$|^${t}[ \\t]*$`, 'u');
}
