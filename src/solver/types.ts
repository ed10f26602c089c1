// The solver's contract: results of ops, the runner that produces them, and progress events.
import type { Digest } from '../core/index.js';
import type { Vertex } from '../graph/index.js';

/** A layer produced by a step, as stored in the content store. */
export interface LayerInfo {
  digest: Digest;
  diffId: Digest;
  size: number;
  mediaType: string;
}

/** What a vertex leaves behind: a committed snapshot and/or a layer; or a base image not yet unpacked. */
export interface OpResult {
  /** Committed snapshot holding the filesystem after this step (undefined: empty/scratch or not unpacked). */
  snapshot?: string;
  /** The layer this step added (undefined when it changed nothing). */
  layer?: LayerInfo;
  /** For FROM: the image's manifest, unpacked into snapshots only when a later step needs files. */
  image?: { manifest: Digest };
  /** For results imported from a shared cache: every layer from the base up to this step, unpacked on first use. */
  chain?: LayerInfo[];
}

export type StepStatus = 'started' | 'cached' | 'done' | 'error';

export type ProgressEvent =
  | { type: 'step'; id: string; name: string; status: StepStatus; durationMs?: number; error?: string }
  | { type: 'log'; id: string; stream: 'stdout' | 'stderr'; data: string };

export interface ProgressSink {
  emit(e: ProgressEvent): void;
}

export interface RunContext {
  signal: AbortSignal;
  /** Output of the step, forwarded to the progress display. */
  log(stream: 'stdout' | 'stderr', data: string | Buffer): void;
}

/** Executes one vertex given its inputs' results. Implemented by the worker. */
export interface OpRunner {
  run(v: Vertex, inputs: readonly OpResult[], ctx: RunContext): Promise<OpResult>;
}

/** Looks up and records results by cache key. */
export interface CacheLookup {
  /** The key of `v` from its inputs' keys (and whatever content the op reads). */
  key(v: Vertex, inputKeys: readonly string[], signal: AbortSignal): Promise<string>;
  get(key: string, v: Vertex): Promise<OpResult | undefined>;
  put(key: string, v: Vertex, result: OpResult): Promise<void>;
}
