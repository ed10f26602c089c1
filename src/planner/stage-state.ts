// The evolving state of one stage while its instructions are dispatched.
import type { SourceLocation } from '../core/index.js';
import type { Vertex } from '../graph/index.js';
import type { ImageConfigFile, PlannedHistory, PlanOptions, PlanWarning, ResolvedImage } from './types.js';
import { envMap } from './metadata.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_SHELL = ['/bin/sh', '-c'];

export interface StageState {
  index: number;
  /** Name used in step labels: the stage name, `stage-N`, or '' for a single-stage file. */
  label: string;
  state: Vertex;
  base?: ResolvedImage;
  layerVertices: Vertex[];
  image: ImageConfigFile;
  history: PlannedHistory[];
  /** ARGs declared in this stage, with their values (undefined: declared without value). */
  args: Map<string, string | undefined>;
  cmdSet: boolean;
  step: number;
  totalSteps: number;
}

/** Variables visible to word expansion: ARGs first, ENV overriding them (ENV over ARG). */
export function lookupFor(s: StageState): (name: string) => string | undefined {
  const env = envMap(s.image.config.Env);
  return (name) => (env.has(name) ? env.get(name) : s.args.get(name));
}

export function shellOf(s: StageState): string[] {
  return s.image.config.Shell && s.image.config.Shell.length > 0 ? s.image.config.Shell : DEFAULT_SHELL;
}

export function workdirOf(s: StageState): string {
  return s.image.config.WorkingDir || '/';
}

export function stepName(s: StageState, text: string): string {
  s.step += 1;
  const prefix = s.label ? `${s.label} ` : '';
  return `[${prefix}${s.step}/${s.totalSteps}] ${text}`;
}

export interface DispatchContext {
  opts: PlanOptions;
  escape: '\\' | '`';
  warnings: PlanWarning[];
  /** Names of every ARG declared anywhere (for the unused build-arg warning). */
  declaredArgs: Set<string>;
  /** Global ARG values (after --build-arg overrides), for `ARG NAME` re-declared in a stage. */
  metaArgs: Map<string, string | undefined>;
  /** Resolves `--from=X` (stage name, index, named context, or image) to an input. */
  resolveFrom(word: string, location: SourceLocation): Promise<{ vertex?: Vertex; context?: string }>;
}
