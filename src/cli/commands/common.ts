// State shared by all commands: the host, the exit code, the store root.
import { TsbuildError } from '../../core/index.js';
import { renderError } from '../render.js';
import { storeRoot } from '../../content/index.js';
import type { Host } from '../host.js';

export interface Ctx {
  host: Host;
  exitCode: number;
  cores: number;
  /** Global --root, if given. */
  root?: string;
  usage(message: string): TsbuildError;
}

export function rootOf(ctx: Ctx): string {
  return storeRoot({ ...(ctx.root !== undefined ? { root: ctx.root } : {}), env: ctx.host.env, uid: ctx.host.uid, home: ctx.host.home });
}

/** Codes that mean the command line itself was wrong: exit status 2 instead of 1. */
const USAGE_CODES = new Set(['TSB9001', 'TSB2010']);

export function exitCodeFor(e: unknown): number {
  return e instanceof TsbuildError && USAGE_CODES.has(e.code) ? 2 : 1;
}

/** Wraps a command action: renders any error, and sets the exit code either way. */
export function guarded<A extends unknown[]>(ctx: Ctx, fn: (...a: A) => Promise<void>): (...a: A) => Promise<void> {
  return async (...a: A) => {
    try {
      await fn(...a);
      ctx.exitCode = 0;
    } catch (e) {
      ctx.host.stderr(`${renderError(e, ctx.host.cwd)}\n`);
      ctx.exitCode = exitCodeFor(e);
    }
  };
}
