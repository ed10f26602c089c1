// What the worker needs from the rest of the system, handed in by the composition root.
import type { Digest } from '../core/index.js';
import type { ContentStore } from '../content/index.js';
import type { BuildContext } from '../context/index.js';
import type { Executor } from '../executor/index.js';
import type { Compression } from '../layer/index.js';
import type { Snapshotter } from '../snapshotter/index.js';

export interface WorkerDeps {
  snapshotter: Snapshotter;
  content: ContentStore;
  /** Build contexts by name: '' is the main context, others come from `--build-context NAME=DIR`. */
  contexts: ReadonlyMap<string, BuildContext>;
  /** Created on first RUN, so builds without RUN never need runc. */
  executor: () => Promise<Executor>;
  compression: Compression;
  /** SOURCE_DATE_EPOCH: layer timestamps are clamped to it. */
  sourceDateEpoch?: number;
  /** Scratch space for this build (mount points, per-run files); removed by the caller. */
  tmpDir: string;
  /** Where the full output of every RUN is kept. */
  logDir: string;
  /** Persistent directory for RUN --mount=type=cache. */
  cacheMountsDir: string;
  /** Secrets by id (`--secret id=…`): contents never enter keys, layers or logs. */
  secrets: ReadonlyMap<string, Buffer>;
  limits: { memoryBytes?: number; cpus?: number; pids?: number };
  allowInsecure: boolean;
  /** Makes sure these blobs are in the content store (layers known only from an imported cache). */
  ensureBlobs?: (layers: ReadonlyArray<{ digest: Digest; size: number; mediaType: string }>, signal?: AbortSignal) => Promise<void>;
}
