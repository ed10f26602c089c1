// What the CLI takes from the process: arguments, environment, working directory and streams.
import type { Readable } from 'node:stream';

export interface Host {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdin: Readable;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Raw stdout for binary output (`-o -`). */
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  uid: number;
  home: string;
  signal?: AbortSignal;
}

export function processHost(signal?: AbortSignal): Host {
  return {
    cwd: process.cwd(),
    env: process.env,
    stdin: process.stdin,
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    uid: process.getuid?.() ?? 0,
    home: process.env.HOME ?? '/root',
    ...(signal ? { signal } : {}),
  };
}
