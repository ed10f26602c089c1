// The live terminal view: one line per step with state and timer, the last output lines of running steps.
import type { ProgressEvent } from '../solver/index.js';
import type { Renderer } from './renderer.js';

interface StepView {
  name: string;
  status: 'started' | 'cached' | 'done' | 'error';
  started: number;
  durationMs?: number;
  tail: string[];
  /** Unfinished last line of each stream. */
  partial: { stdout: string; stderr: string };
}

const TAIL = 6;
const FRAME_MS = 100;

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

export function ttyRenderer(write: (s: string) => void, columns: () => number = () => process.stderr.columns || 100): Renderer {
  const steps = new Map<string, StepView>();
  const begun = Date.now();
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;

  const frame = (final: boolean): string[] => {
    const width = Math.max(40, columns());
    const list = [...steps.values()];
    const finished = list.filter((s) => s.status !== 'started').length;
    const lines = [`[+] Building ${secs(Date.now() - begun)} (${finished}/${list.length})${final ? ' FINISHED' : ''}`];
    for (const s of list) {
      const time = s.status === 'started' ? secs(Date.now() - s.started) : s.status === 'cached' ? '0.0s' : secs(s.durationMs ?? 0);
      const label = `${s.status === 'cached' ? 'CACHED ' : s.status === 'error' ? 'ERROR ' : ''}${s.name}`;
      const room = width - time.length - 5;
      const text = label.length > room ? `${label.slice(0, Math.max(0, room - 1))}…` : label.padEnd(room);
      lines.push(` => ${text} ${time}`);
      if (s.status === 'started' || s.status === 'error') {
        for (const l of s.tail.slice(-TAIL)) lines.push(` => => # ${l}`.slice(0, width));
      }
    }
    return lines;
  };

  const redraw = (final = false): void => {
    const lines = frame(final);
    let out = drawn > 0 ? `\x1b[${drawn}A` : '';
    for (const l of lines) out += `\x1b[2K${l}\n`;
    // Clear leftovers if the view got shorter.
    for (let i = lines.length; i < drawn; i++) out += '\x1b[2K\n';
    const extra = Math.max(0, drawn - lines.length);
    if (extra > 0) out += `\x1b[${extra}A`;
    drawn = lines.length;
    write(out);
  };

  const schedule = (): void => {
    timer ??= setInterval(() => redraw(), FRAME_MS);
    timer.unref?.();
  };

  return {
    emit(e: ProgressEvent): void {
      let s = steps.get(e.id);
      if (e.type === 'log') {
        if (!s) return;
        const text = s.partial[e.stream] + e.data;
        const parts = text.split('\n');
        s.partial[e.stream] = parts.pop() ?? '';
        s.tail.push(...parts.map((p) => p.replace(/\r/g, '')));
        if (s.tail.length > TAIL) s.tail.splice(0, s.tail.length - TAIL);
        return;
      }
      if (!s) {
        s = { name: e.name, status: e.status, started: Date.now(), tail: [], partial: { stdout: '', stderr: '' } };
        steps.set(e.id, s);
      }
      s.status = e.status;
      if (e.durationMs !== undefined) s.durationMs = e.durationMs;
      schedule();
    },
    finish(outcome): void {
      if (timer) clearInterval(timer);
      redraw(true);
      if (outcome.ok) write(` => writing image ${outcome.imageId}${outcome.names.length ? ` (${outcome.names.join(', ')})` : ''}\n`);
    },
  };
}
