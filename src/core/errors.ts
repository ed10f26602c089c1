// Error classes shared by every module: one base class carrying a stable diagnostic code.
import { DIAGNOSTICS, type DiagnosticCode } from './diagnostics.js';

/** A 1-based position range in a source file (usually a Dockerfile). */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
}

export interface TsbuildErrorOptions {
  location?: SourceLocation;
  cause?: unknown;
  /** Extra lines shown under the message (e.g. the tail of a failed step's output). */
  detail?: string;
  hint?: string;
}

/**
 * The one error type tsbuild throws for expected failures. Code branches on `code`,
 * never on `message`; only the CLI renders it.
 */
export class TsbuildError extends Error {
  readonly code: DiagnosticCode;
  readonly location?: SourceLocation;
  readonly detail?: string;
  readonly hint?: string;

  constructor(code: DiagnosticCode, message: string, opts: TsbuildErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TsbuildError';
    this.code = code;
    if (opts.location) this.location = opts.location;
    if (opts.detail !== undefined) this.detail = opts.detail;
    if (opts.hint !== undefined) this.hint = opts.hint;
  }

  get category(): string {
    return DIAGNOSTICS[this.code].category;
  }
}

/** Several diagnostics found in one pass (parser, planner report everything at once). */
export class DiagnosticsError extends TsbuildError {
  readonly diagnostics: readonly TsbuildError[];

  constructor(diagnostics: readonly TsbuildError[]) {
    const first = diagnostics[0];
    if (!first) throw new Error('DiagnosticsError needs at least one diagnostic');
    super(first.code, diagnostics.length === 1 ? first.message : `${diagnostics.length} errors: ${first.message}`, {
      ...(first.location ? { location: first.location } : {}),
    });
    this.name = 'DiagnosticsError';
    this.diagnostics = diagnostics;
  }
}

/** Builds an error whose code is looked up in the catalog and whose message defaults to the catalog text. */
export function tsbError(code: DiagnosticCode, message?: string, opts?: TsbuildErrorOptions): TsbuildError {
  return new TsbuildError(code, message ?? DIAGNOSTICS[code].message, opts);
}

export function isTsbuildError(e: unknown): e is TsbuildError {
  return e instanceof TsbuildError;
}

/** Thrown (or used as AbortSignal reason) when a build is cancelled. */
export function abortError(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  const e = new Error('operation aborted');
  e.name = 'AbortError';
  return e;
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError(signal);
}
