// What every progress renderer is: a sink for step events with a final word on the outcome.
import type { ProgressSink } from '../solver/index.js';

/** A progress display; `finish` prints the result or the error summary. */
export interface Renderer extends ProgressSink {
  /** Final line(s): the result or the error. */
  finish(outcome: { ok: true; digest: string; imageId: string; names: string[] } | { ok: false; error: string; code?: string }): void;
}
