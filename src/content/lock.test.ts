// Tests for withLock: in-process serialization, timeouts, cross-process exclusion, takeover after SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { TsbuildError } from '../core/index.js';
import { withLock } from './index.js';
import { compiledModules, type ChildEnv } from './child.testutil.js';

let dir: string;
let lockFile: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-lock-'));
  lockFile = path.join(dir, 'locks', 'test.lock');
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('withLock in one process', () => {
  it('serializes concurrent callers and removes the lock file afterwards', async () => {
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        withLock(lockFile, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await new Promise((r) => setTimeout(r, 5));
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await fsp.readdir(path.dirname(lockFile))).toEqual([]);
  });

  it('returns the value of fn and releases the lock when fn throws', async () => {
    await expect(withLock(lockFile, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await withLock(lockFile, async () => 42, { timeoutMs: 200 })).toBe(42);
  });

  it('times out with TSB4004 while another caller holds the lock', async () => {
    let release: () => void = () => undefined;
    const held = withLock(lockFile, () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 10));
    await expect(withLock(lockFile, async () => 1, { timeoutMs: 50 })).rejects.toMatchObject({ code: 'TSB4004' });
    release();
    await held;
  });

  it('stops waiting when the signal aborts', async () => {
    let release: () => void = () => undefined;
    const held = withLock(lockFile, () => new Promise<void>((r) => (release = r)));
    const ac = new AbortController();
    const waiting = withLock(lockFile, async () => 1, { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(waiting).rejects.toThrow();
    release();
    await held;
  });

  it('takes over a lock file left by a process that no longer exists', async () => {
    await fsp.mkdir(path.dirname(lockFile), { recursive: true });
    // pid 2^22+1 is above the default pid_max, so no process has it.
    await fsp.writeFile(lockFile, JSON.stringify({ pid: 4194305, start: '1', boot: '', host: os.hostname(), nonce: 'x' }));
    expect(await withLock(lockFile, async () => 'ok', { timeoutMs: 2000 })).toBe('ok');
  });
});

describe('withLock across processes', () => {
  let env: ChildEnv;
  let holderScript: string;
  beforeAll(async () => {
    env = await compiledModules();
    holderScript = await env.script(
      'hold.mjs',
      `import { withLock } from './src/content/index.js';
await withLock(process.argv[2], async () => {
  console.log('locked');
  await new Promise((r) => setTimeout(r, Number(process.argv[3])));
});
`,
    );
  });
  afterAll(async () => {
    await env.cleanup();
  });

  async function startHolder(holdMs: number): Promise<ChildProcess> {
    const child = spawn(process.execPath, [holderScript, lockFile, String(holdMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
    });
    return child;
  }

  it('excludes this process while a live child holds the lock, then acquires after it exits', async () => {
    const child = await startHolder(400);
    const t0 = Date.now();
    await expect(withLock(lockFile, async () => 1, { timeoutMs: 100 })).rejects.toBeInstanceOf(TsbuildError);
    expect(await withLock(lockFile, async () => Date.now() - t0, { timeoutMs: 5000 })).toBeGreaterThanOrEqual(300);
    child.kill();
  });

  it('takes over the lock of a SIGKILLed holder', async () => {
    const child = await startHolder(60_000);
    await expect(withLock(lockFile, async () => 1, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'TSB4004' });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const held = JSON.parse(await fsp.readFile(lockFile, 'utf8')) as { pid: number };
    expect(held.pid).toBe(child.pid);
    expect(await withLock(lockFile, async () => 'taken', { timeoutMs: 2000 })).toBe('taken');
    await expect(fsp.stat(lockFile)).rejects.toThrow();
  });

  it('keeps several processes mutually exclusive on a shared counter', async () => {
    const counter = path.join(dir, 'counter');
    await fsp.writeFile(counter, '0');
    const script = await env.script(
      'count.mjs',
      `import { readFile, writeFile } from 'node:fs/promises';
import { withLock } from './src/content/index.js';
const [lock, file] = process.argv.slice(2);
for (let i = 0; i < 25; i++) {
  await withLock(lock, async () => {
    const n = Number(await readFile(file, 'utf8'));
    await new Promise((r) => setImmediate(r));
    await writeFile(file, String(n + 1));
  });
}
`,
    );
    const runs = Array.from({ length: 4 }, () => {
      const c = spawn(process.execPath, [script, lockFile, counter], { stdio: 'inherit' });
      return new Promise<number | null>((r) => c.once('exit', r));
    });
    expect(await Promise.all(runs)).toEqual([0, 0, 0, 0]);
    expect(await fsp.readFile(counter, 'utf8')).toBe('100');
  });
});
