// What the CLI takes from the process: arguments, environment, working directory and streams.
import type { Readable } from 'node:stream';
import { isatty } from 'node:tty';

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
  // process.stdin/stdout/stderr are streams created on first access (a few ms each): stdin only
  // when a command reads it, and the terminal checks ask the descriptors directly.
  return {
    cwd: process.cwd(),
    env: process.env,
    get stdin(): Readable {
      return process.stdin;
    },
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    stdoutIsTTY: isatty(1),
    stderrIsTTY: isatty(2),
    uid: process.getuid?.() ?? 0,
    home: process.env.HOME ?? '/root',
    ...(signal ? { signal } : {}),
  };
}
