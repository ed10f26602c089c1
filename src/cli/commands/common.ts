// State shared by all commands: the host, the exit code, the store root.
import { TsbuildError } from '../../core/index.js';
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
