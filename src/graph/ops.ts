// Build operations as plain data: what a vertex does, independent of how a worker does it.
import type { Digest, Platform, SourceLocation } from '../core/index.js';

/** FROM: scratch, or an image already resolved to a manifest digest. */
export interface SourceOp {
  type: 'source';
  /** Normalized image reference, or 'scratch'. */
  ref: string;
  /** Manifest digest of the resolved image (absent for scratch). */
  manifest?: Digest;
  /** Where the image lives: the local store, or a named build context (oci-layout). */
  origin?: { kind: 'store' } | { kind: 'oci-layout'; dir: string };
  platform: Platform;
}

/** Where a file op reads its sources from. */
export type FileSource =
  | { type: 'context'; name: string }
  | { type: 'input'; index: number };

export interface CopyAction {
  kind: 'copy';
  mode: 'copy' | 'add';
  from: FileSource;
  sources: string[];
  inline: Array<{ name: string; content: string }>;
  dest: string;
  workdir: string;
  /** Owner spec as written (`user:group`), resolved against the target rootfs at run time. */
  chown?: string;
  chmod?: string;
  exclude: string[];
  parents: boolean;
  link: boolean;
}

export interface MkdirAction {
  kind: 'mkdir';
  path: string;
  /** Owner spec (the current USER); resolved at run time. */
  owner?: string;
}

export interface FileOp {
  type: 'file';
  action: CopyAction | MkdirAction;
}

/** A mount requested by `RUN --mount=…`, after expansion and validation. */
export type RunMount =
  | { type: 'bind'; target: string; source: string; from: FileSource; readonly: boolean }
  | { type: 'cache'; target: string; id: string; sharing: 'shared' | 'private' | 'locked'; from?: FileSource; source: string; mode: number; uid: number; gid: number; readonly: boolean }
  | { type: 'tmpfs'; target: string; size?: number }
  | { type: 'secret'; target: string; id: string; required: boolean; mode: number; uid: number; gid: number; env?: string };

export interface ExecOp {
  type: 'exec';
  args: string[];
  env: string[];
  cwd: string;
  user: string;
  network: 'host' | 'none';
  security: 'sandbox' | 'insecure';
  mounts: RunMount[];
  hostname: string;
}

export type Op = SourceOp | FileOp | ExecOp;

/** Human-facing description of a vertex; never part of its digest. */
export interface VertexMeta {
  /** e.g. `[build 3/6] RUN make` */
  name: string;
  stage: string;
  location?: SourceLocation;
  /** The instruction text (for cache records and explanations). */
  text: string;
  /**
   * Identity of "the same step" across builds of a Dockerfile (stage, instruction, ordinal), so
   * a cache miss can be compared with the step's previous record.
   */
  step?: string;
  /** Environment names that come from ARGs (so explanations can tell ARG from ENV). */
  argNames?: string[];
  /** Environment for RUN that stays out of the digest and cache key (undeclared proxy ARGs). */
  extraEnv?: string[];
}
