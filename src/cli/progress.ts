// Progress renderers: plain (numbered steps), json (one object per line), quiet.
import type { ProgressEvent } from '../solver/index.js';
import type { Renderer } from './renderer.js';
import { ttyRenderer } from './progress-tty.js';

export type ProgressMode = 'auto' | 'plain' | 'tty' | 'json' | 'quiet';

export type { Renderer } from './renderer.js';

type Write = (s: string) => void;

export function plainRenderer(write: Write): Renderer {
  const numbers = new Map<string, number>();
  const started = new Map<string, number>();
  let next = 1;
  const num = (id: string): number => {
    let n = numbers.get(id);
    if (n === undefined) {
      n = next++;
      numbers.set(id, n);
    }
    return n;
  };
  const partial = new Map<string, string>();
  return {
    emit(e: ProgressEvent): void {
      const n = num(e.id);
      if (e.type === 'log') {
        const t = ((Date.now() - (started.get(e.id) ?? Date.now())) / 1000).toFixed(3);
        // Each stream keeps its own unfinished line, so stdout and stderr never splice mid-line.
        const key = `${e.id}\0${e.stream}`;
        const text = (partial.get(key) ?? '') + e.data;
        const lines = text.split('\n');
        partial.set(key, lines.pop() ?? '');
        for (const l of lines) write(`#${n} ${t} ${l}\n`);
        return;
      }
      switch (e.status) {
        case 'started':
          started.set(e.id, Date.now());
          write(`#${n} ${e.name}\n`);
          break;
        case 'cached':
          write(`#${n} ${e.name}\n#${n} CACHED\n`);
          break;
        case 'done':
        case 'error': {
          for (const stream of ['stdout', 'stderr']) {
            const rest = partial.get(`${e.id}\0${stream}`);
            if (rest) write(`#${n} ${rest}\n`);
            partial.delete(`${e.id}\0${stream}`);
          }
          const secs = ((e.durationMs ?? 0) / 1000).toFixed(1);
          write(e.status === 'done' ? `#${n} DONE ${secs}s\n` : `#${n} ERROR: ${e.error ?? 'failed'}\n`);
          break;
        }
      }
    },
    finish(outcome): void {
      if (outcome.ok) write(`#${next} writing image ${outcome.imageId}${outcome.names.length ? ` (${outcome.names.join(', ')})` : ''}\n#${next} DONE\n`);
    },
  };
}

export function jsonRenderer(write: Write): Renderer {
  return {
    emit(e: ProgressEvent): void {
      write(`${JSON.stringify(e)}\n`);
    },
    finish(outcome): void {
      write(`${JSON.stringify(outcome.ok ? { type: 'result', digest: outcome.digest, imageId: outcome.imageId, names: outcome.names } : { type: 'error', error: outcome.error, code: outcome.code })}\n`);
    },
  };
}

export function quietRenderer(stdout: Write): Renderer {
  return {
    emit(): void {},
    finish(outcome): void {
      if (outcome.ok) stdout(`${outcome.imageId}\n`);
    },
  };
}

export function createRenderer(mode: ProgressMode, io: { stdout: Write; stderr: Write; isTTY: boolean }): Renderer {
  switch (mode) {
    case 'json':
      return jsonRenderer(io.stderr);
    case 'quiet':
      return quietRenderer(io.stdout);
    case 'tty':
      return ttyRenderer(io.stderr);
    case 'auto':
      return io.isTTY ? ttyRenderer(io.stderr) : plainRenderer(io.stderr);
    default:
      return plainRenderer(io.stderr);
  }
}
