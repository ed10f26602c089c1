// Reading .dockerignore files: Docker's line rules, and the <Dockerfile>.dockerignore override.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { TsbuildError, throwIfAborted } from '../core/index.js';
import { PatternError, PatternMatcher } from './patternmatcher.js';
import { cleanPath } from './paths.js';

export interface IgnorePattern {
  pattern: string;
  line: number;
}

/**
 * Splits ignore-file text into patterns: a leading BOM is dropped, lines starting with `#`
 * are comments, whitespace is trimmed, paths are cleaned and a leading `/` is removed.
 */
export function parseIgnoreText(text: string): IgnorePattern[] {
  const out: IgnorePattern[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((rawLine, idx) => {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.startsWith('#')) return;
    let p = line.trim();
    if (p === '') return;
    const invert = p.startsWith('!');
    if (invert) p = p.slice(1).trim();
    if (p.length > 0) {
      p = cleanPath(p);
      if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
    }
    out.push({ pattern: invert ? '!' + p : p, line: idx + 1 });
  });
  return out;
}

/** Compiles parsed patterns; a rejected pattern becomes TSB2103 naming the file and line. */
export function compileIgnore(patterns: readonly IgnorePattern[], file: string): PatternMatcher {
  for (const p of patterns) {
    try {
      new PatternMatcher([p.pattern]);
    } catch (e) {
      if (!(e instanceof PatternError)) throw e;
      throw new TsbuildError('TSB2103', `invalid pattern ${JSON.stringify(p.pattern)} in ${file} line ${p.line}: ${e.message}`, {
        location: { file, line: p.line, column: 1 },
        cause: e,
      });
    }
  }
  return new PatternMatcher(patterns.map((p) => p.pattern));
}

async function readIfFile(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw e;
  }
}

/**
 * Loads the ignore rules for a context: `<Dockerfile>.dockerignore` beside the Dockerfile
 * wins over the context's `.dockerignore`. Returns an empty matcher when neither exists.
 */
export async function loadDockerignore(
  contextDir: string,
  opts: { dockerfile?: string; signal?: AbortSignal } = {},
): Promise<{ matcher: PatternMatcher; file?: string }> {
  throwIfAborted(opts.signal);
  const candidates: string[] = [];
  if (opts.dockerfile) candidates.push(`${opts.dockerfile}.dockerignore`);
  candidates.push(path.join(contextDir, '.dockerignore'));
  for (const file of candidates) {
    const text = await readIfFile(file);
    if (text === undefined) continue;
    return { matcher: compileIgnore(parseIgnoreText(text), file), file };
  }
  return { matcher: new PatternMatcher([]) };
}
