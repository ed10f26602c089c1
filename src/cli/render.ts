// Renders errors and warnings for people: `file:line:col: error TSBnnnn: message`, the line, a caret.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DiagnosticsError, TsbuildError, type SourceLocation } from '../core/index.js';

function displayPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

function sourceExcerpt(loc: SourceLocation): string[] {
  let text: string;
  try {
    text = readFileSync(loc.file, 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n');
  const out: string[] = [];
  const last = Math.min(loc.endLine ?? loc.line, loc.line + 5);
  for (let n = loc.line; n <= last; n++) {
    const src = lines[n - 1];
    if (src === undefined) break;
    out.push(` ${String(n).padStart(4)} | ${src}`);
  }
  const first = lines[loc.line - 1];
  if (first !== undefined && last === loc.line) {
    const start = Math.max(1, loc.column);
    const end = loc.endLine === loc.line && loc.endColumn && loc.endColumn > start ? loc.endColumn : first.length + 1;
    out.push(` ${' '.repeat(4)} | ${' '.repeat(start - 1)}${'^'.repeat(Math.max(1, end - start))}`);
  }
  return out;
}

export function renderError(e: unknown, cwd: string): string {
  if (e instanceof DiagnosticsError) return e.diagnostics.map((d) => renderError(d, cwd)).join('\n');
  if (e instanceof TsbuildError) {
    const where = e.location ? `${displayPath(e.location.file, cwd)}:${e.location.line}:${e.location.column}: ` : '';
    const lines = [`${where}error ${e.code}: ${e.message}`];
    if (e.location) lines.push(...sourceExcerpt(e.location));
    if (e.detail) lines.push(...e.detail.split('\n').map((l) => `  ${l}`));
    if (e.hint) lines.push(`hint: ${e.hint}`);
    return lines.join('\n');
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return `error TSB9999: internal error: ${err.message}${process.env.TSBUILD_DEBUG ? `\n${err.stack ?? ''}` : ''}`;
}

export function renderWarning(w: { code: string; message: string; location?: SourceLocation }, cwd: string): string {
  const where = w.location ? `${displayPath(w.location.file, cwd)}:${w.location.line}:${w.location.column}: ` : '';
  return `${where}warning ${w.code}: ${w.message}`;
}

/** `--explain`: one block per step that ran, each reason on its own line. */
export function renderExplanations(list: ReadonlyArray<{ name: string; location?: { file: string; line: number }; reasons: string[] }>, cwd: string): string {
  if (list.length === 0) return 'explain: every step was served from the cache\n';
  const out: string[] = [];
  for (const e of list) {
    const where = e.location ? ` (${displayPath(e.location.file, cwd)}:${e.location.line})` : '';
    out.push(`explain: ${e.name}${where} missed the cache:`);
    for (const r of e.reasons) out.push(`  - ${r}`);
  }
  return `${out.join('\n')}\n`;
}
