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
  /**
   * When this result was first made (ISO 8601): set by the solver when the step runs, kept in its
   * cache record, so a rebuild served from cache reports the original time (as BuildKit does).
   */
  created?: string;
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

/** A cache hit: the result, and the key it was recorded under (used as this step's key downstream). */
export interface CacheHit {
  key: string;
  result: OpResult;
}

/**
 * Looks up and records results by cache key. Every step has a definition key (its op and its
 * inputs' keys); a step that reads files of another step (COPY --from) may also have a content
 * key (its op and the content of exactly what it selects), tried when the definition key misses.
 */
export interface CacheLookup {
  key(v: Vertex, inputKeys: readonly string[], signal: AbortSignal): Promise<string>;
  contentKey?(v: Vertex, inputKeys: readonly string[], inputs: readonly OpResult[], signal: AbortSignal): Promise<string | undefined>;
  get(key: string, v: Vertex): Promise<CacheHit | undefined>;
  /** Both lookups failed: the step will run (explanations hook here). */
  miss?(v: Vertex, key: string, contentKey: string | undefined): Promise<void>;
  put(key: string, v: Vertex, result: OpResult, contentKey?: string): Promise<void>;
}
