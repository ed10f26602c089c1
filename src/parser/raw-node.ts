// The untyped AST node: one instruction as BuildKit's parser splits it, with source positions.

export interface RawHeredoc {
  name: string;
  /** Body as read: lines with their newlines, leading tabs not yet removed. */
  content: string;
  chomp: boolean;
  expand: boolean;
  /** File descriptor prefix (`3<<EOF`), 0 when absent. */
  fd: number;
}

export interface RawNode {
  /** Instruction keyword as written (case preserved). */
  keyword: string;
  /** Lower-cased keyword. */
  instruction: string;
  /** The logical line: continuations joined, comment lines dropped. */
  original: string;
  /** Raw `--name=value` words before the arguments. */
  flags: string[];
  /** Arguments as BuildKit's AST splits them (empty for ONBUILD, which has `child`). */
  args: string[];
  /** True when the arguments came from a JSON array. */
  json: boolean;
  /** ONBUILD's trigger instruction. */
  child?: RawNode;
  heredocs: RawHeredoc[];
  startLine: number;
  endLine: number;
  /** 1-based column of the keyword on startLine. */
  column: number;
  /** 1-based column just past the last character on endLine. */
  endColumn: number;
}
