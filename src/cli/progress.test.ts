// Progress renderers: plain numbering and prefixes, the JSON event shapes, the live tty frame.
import { describe, expect, it } from 'vitest';
import { createRenderer } from './progress.js';
import { ttyRenderer } from './progress-tty.js';

function collect(): { out: string[]; write: (s: string) => void } {
  const out: string[] = [];
  return { out, write: (s) => void out.push(s) };
}

describe('plain progress', () => {
  it('numbers steps, prefixes each output line, marks CACHED, never truncates', () => {
    const c = collect();
    const r = createRenderer('plain', { stdout: () => undefined, stderr: c.write, isTTY: false });
    r.emit({ type: 'step', id: 'a', name: '[1/3] FROM scratch', status: 'cached' });
    r.emit({ type: 'step', id: 'b', name: '[build 2/3] RUN make', status: 'started' });
    const long = 'x'.repeat(500);
    r.emit({ type: 'log', id: 'b', stream: 'stdout', data: `one\ntw` });
    r.emit({ type: 'log', id: 'b', stream: 'stdout', data: `o\n${long}` });
    r.emit({ type: 'step', id: 'b', name: '[build 2/3] RUN make', status: 'done', durationMs: 1234 });
    const text = c.out.join('');
    expect(text).toContain('#1 [1/3] FROM scratch\n#1 CACHED\n');
    expect(text).toContain('#2 [build 2/3] RUN make\n');
    expect(text).toMatch(/#2 \d+\.\d{3} one\n#2 \d+\.\d{3} two\n/);
    expect(text).toContain(`#2 ${long}\n`);
    expect(text).toContain('#2 DONE 1.2s\n');
  });
});

describe('plain progress with both streams', () => {
  it('keeps an unfinished stderr line apart from stdout output arriving meanwhile', () => {
    const c = collect();
    const r = createRenderer('plain', { stdout: () => undefined, stderr: c.write, isTTY: false });
    r.emit({ type: 'step', id: 's', name: 'RUN x', status: 'started' });
    r.emit({ type: 'log', id: 's', stream: 'stderr', data: '+ ' });
    r.emit({ type: 'log', id: 's', stream: 'stdout', data: 'traced\n' });
    r.emit({ type: 'log', id: 's', stream: 'stderr', data: 'echo traced\n' });
    r.emit({ type: 'step', id: 's', name: 'RUN x', status: 'done', durationMs: 1 });
    const lines = c.out.join('').split('\n').map((l) => l.replace(/^#1 \d+\.\d{3} /, ''));
    expect(lines).toContain('traced');
    expect(lines).toContain('+ echo traced');
  });
});

describe('json progress', () => {
  it('emits one object per line: started/done, cached only, logs, then the result', () => {
    const c = collect();
    const r = createRenderer('json', { stdout: () => undefined, stderr: c.write, isTTY: false });
    r.emit({ type: 'step', id: 'a', name: 'A', status: 'cached' });
    r.emit({ type: 'step', id: 'b', name: 'B', status: 'started' });
    r.emit({ type: 'log', id: 'b', stream: 'stdout', data: 'hi\n' });
    r.emit({ type: 'step', id: 'b', name: 'B', status: 'done', durationMs: 5 });
    r.finish({ ok: true, digest: 'sha256:m', imageId: 'sha256:c', names: ['x'] });
    const lines = c.out.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { type: 'step', id: 'a', name: 'A', status: 'cached' },
      { type: 'step', id: 'b', name: 'B', status: 'started' },
      { type: 'log', id: 'b', stream: 'stdout', data: 'hi\n' },
      { type: 'step', id: 'b', name: 'B', status: 'done', durationMs: 5 },
      { type: 'result', digest: 'sha256:m', imageId: 'sha256:c', names: ['x'] },
    ]);
  });

  it('ends with an error object when the build fails', () => {
    const c = collect();
    const r = createRenderer('json', { stdout: () => undefined, stderr: c.write, isTTY: false });
    r.finish({ ok: false, error: 'boom', code: 'TSB3001' });
    expect(JSON.parse(c.out.join(''))).toEqual({ type: 'error', error: 'boom', code: 'TSB3001' });
  });
});

describe('quiet progress', () => {
  it('prints only the image id on stdout', () => {
    const out = collect();
    const err = collect();
    const r = createRenderer('quiet', { stdout: out.write, stderr: err.write, isTTY: false });
    r.emit({ type: 'step', id: 'a', name: 'A', status: 'started' });
    r.finish({ ok: true, digest: 'sha256:m', imageId: 'sha256:c', names: [] });
    expect(out.out.join('')).toBe('sha256:c\n');
    expect(err.out).toEqual([]);
  });
});

describe('tty progress', () => {
  it('shows each step with its state and timer, and the last lines of running steps', () => {
    const c = collect();
    const r = ttyRenderer(c.write, () => 80);
    r.emit({ type: 'step', id: 'a', name: '[1/2] FROM scratch', status: 'cached' });
    r.emit({ type: 'step', id: 'b', name: '[2/2] RUN make', status: 'started' });
    for (let i = 1; i <= 10; i++) r.emit({ type: 'log', id: 'b', stream: 'stdout', data: `line ${i}\n` });
    r.emit({ type: 'step', id: 'b', name: '[2/2] RUN make', status: 'error', durationMs: 2000 });
    r.finish({ ok: false, error: 'x' });
    // eslint-disable-next-line no-control-regex
    const screen = c.out.join('').replace(/\x1b\[[0-9]*[A-Z]/g, '');
    expect(screen).toMatch(/\[\+\] Building \d+\.\ds \(2\/2\) FINISHED/);
    expect(screen).toMatch(/ => CACHED \[1\/2\] FROM scratch +0\.0s/);
    expect(screen).toMatch(/ => ERROR \[2\/2\] RUN make +2\.0s/);
    expect(screen).toContain(' => => # line 10');
    expect(screen).toContain(' => => # line 5');
    expect(screen).not.toContain(' => => # line 4\n');
  });
});
