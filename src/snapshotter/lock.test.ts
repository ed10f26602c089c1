// The metadata lock: mutual exclusion inside one process and takeover of a dead owner's lock.
import { describe, it, expect, afterEach } from 'vitest';
import { promises as fsp } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { withFileLock } from './lock.js';
import { compactOverlayOptions } from './mount.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await fsp.rm(d, { recursive: true, force: true });
});

async function tmp(): Promise<string> {
  const d = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-lock-'));
  dirs.push(d);
  return d;
}

describe('withFileLock', () => {
  it('serialises holders in one process', async () => {
    const file = path.join(await tmp(), 'lock');
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        withFileLock(file, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await new Promise((r) => setTimeout(r, 5));
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
    await expect(fsp.stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('takes over a lock whose owner is dead, but waits for a live one', async () => {
    const file = path.join(await tmp(), 'lock');
    const dead = spawnSync('true').pid;
    await fsp.writeFile(file, String(dead));
    expect(await withFileLock(file, async () => 'got it', { timeoutMs: 2000 })).toBe('got it');
    await fsp.writeFile(file, String(process.ppid));
    await expect(withFileLock(file, async () => 'no', { timeoutMs: 200 })).rejects.toMatchObject({ code: 'TSB4004' });
  });
});

describe('compactOverlayOptions', () => {
  it('rewrites long lowerdir lists relative to their common directory', () => {
    const lowers = Array.from({ length: 150 }, (_, i) => `/var/lib/tsbuild/snapshots/snapshots/${150 - i}/fs`);
    const opts = ['workdir=/r/s/151/work', 'upperdir=/r/s/151/fs', `lowerdir=${lowers.join(':')}`];
    const out = compactOverlayOptions(opts);
    expect(out.cwd).toBe('/var/lib/tsbuild/snapshots/snapshots');
    expect(out.options[2]?.startsWith('lowerdir=150/fs:149/fs:')).toBe(true);
    expect(out.options.join(',').length).toBeLessThan(4096);
    expect(compactOverlayOptions(['lowerdir=/a:/b'])).toEqual({ options: ['lowerdir=/a:/b'] });
  });
});
