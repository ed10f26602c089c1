// The typed Dockerfile model the parser produces and the planner consumes. Words are kept
// unexpanded: expansion depends on ARG/ENV state and is done by the planner with expand.ts.
import type { SourceLocation } from '../core/index.js';

/** 1-based source range of one instruction (including its continuation lines and heredoc bodies). */
export interface InstructionRange extends SourceLocation {
  endLine: number;
  endColumn: number;
}

export interface Heredoc {
  /** Delimiter word, e.g. `EOF`. */
  name: string;
  /** The body, newline-terminated lines; for `<<-` the leading tabs are already removed. */
  content: string;
  /** `<<-`: leading tabs are stripped from every line. */
  chomp: boolean;
  /** False when the delimiter was quoted: no variable expansion inside. */
  expand: boolean;
}

export interface KeyValue {
  key: string;
  value: string;
}

interface Base {
  /** The instruction's text as written (continuations joined), used for history `created_by`. */
  original: string;
  location: InstructionRange;
}

export type CommandForm = { form: 'exec'; args: string[] } | { form: 'shell'; command: string };

export interface FromInstruction extends Base {
  kind: 'from';
  image: string;
  stageName?: string;
  platform?: string;
}

export interface RunInstruction extends Base {
  kind: 'run';
  command: CommandForm;
  heredocs: Heredoc[];
  /** Raw `--mount=` values in order, unexpanded (`type=cache,target=/x`). */
  mounts: string[];
  network?: string;
  security?: string;
  /** Raw `--device=` values, present only when the flag was given. */
  devices?: string[];
}

export interface CmdInstruction extends Base {
  kind: 'cmd' | 'entrypoint';
  command: CommandForm;
}

export interface EnvInstruction extends Base {
  kind: 'env' | 'label';
  pairs: KeyValue[];
}

export interface MaintainerInstruction extends Base {
  kind: 'maintainer';
  name: string;
}

export interface ExposeInstruction extends Base {
  kind: 'expose';
  ports: string[];
}

export interface CopyInstruction extends Base {
  kind: 'copy' | 'add';
  /** Source words (unexpanded). For `COPY <<EOF /dst` the source is the heredoc name. */
  sources: string[];
  dest: string;
  /** Inline sources: a source is a heredoc when an entry here has its name. */
  heredocs: Heredoc[];
  from?: string;
  chown?: string;
  chmod?: string;
  link: boolean;
  parents: boolean;
  exclude: string[];
  /** ADD only. */
  keepGitDir?: boolean;
  checksum?: string;
  unpack?: boolean;
}

export interface VolumeInstruction extends Base {
  kind: 'volume';
  paths: string[];
}

export interface UserInstruction extends Base {
  kind: 'user';
  user: string;
}

export interface WorkdirInstruction extends Base {
  kind: 'workdir';
  path: string;
}

export interface ArgInstruction extends Base {
  kind: 'arg';
  args: Array<{ key: string; value?: string }>;
}

export interface OnbuildInstruction extends Base {
  kind: 'onbuild';
  /** The trigger text as stored in the image config (e.g. `RUN echo hi`). */
  expression: string;
  trigger: Instruction;
}

export interface StopsignalInstruction extends Base {
  kind: 'stopsignal';
  signal: string;
}

export interface HealthcheckInstruction extends Base {
  kind: 'healthcheck';
  /** `['NONE']` disables; otherwise `['CMD', ...args]` or `['CMD-SHELL', command]`. */
  test: string[];
  /** Durations in nanoseconds (as the image config stores them); undefined when not given. */
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}

export interface ShellInstruction extends Base {
  kind: 'shell';
  shell: string[];
}

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CmdInstruction
  | EnvInstruction
  | MaintainerInstruction
  | ExposeInstruction
  | CopyInstruction
  | VolumeInstruction
  | UserInstruction
  | WorkdirInstruction
  | ArgInstruction
  | OnbuildInstruction
  | StopsignalInstruction
  | HealthcheckInstruction
  | ShellInstruction;

export interface Stage {
  /** Lower-cased stage name from `AS name`, if any. */
  name?: string;
  index: number;
  from: FromInstruction;
  instructions: Instruction[];
}

export interface Directives {
  escape: '\\' | '`';
  syntax?: string;
  check?: string;
}

export interface Dockerfile {
  file: string;
  directives: Directives;
  /** ARG instructions before the first FROM. */
  globalArgs: ArgInstruction[];
  stages: Stage[];
}

export interface ParseWarning {
  code: string;
  message: string;
  location?: SourceLocation;
}

export interface ParseResult {
  dockerfile: Dockerfile;
  warnings: ParseWarning[];
}
