// Automatic GC measures the store only when a recent measurement does not already show it far under the cap.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { autoGc } from './gc.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tsb-autogc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function store(name: string, bytes: number): string {
  const root = path.join(tmp, name);
  mkdirSync(path.join(root, 'logs'), { recursive: true });
  writeFileSync(path.join(root, 'logs', 'big.log'), Buffer.alloc(bytes, 1));
  return root;
}

const memo = (root: string): { at: number; total: number } => JSON.parse(readFileSync(path.join(root, 'gc-measured.json'), 'utf8')) as { at: number; total: number };

describe('autoGc', () => {
  it('measures a store it knows nothing about and remembers the size', async () => {
    const root = store('fresh', 300_000);
    await autoGc({ root, maxSize: 10 * 1024 ** 3, now: 1_000_000 });
    expect(memo(root).at).toBe(1_000_000);
    expect(memo(root).total).toBeGreaterThanOrEqual(300_000);
  });

  it('skips the walk while a recent measurement is far under the cap', async () => {
    const root = store('recent', 300_000);
    writeFileSync(path.join(root, 'gc-measured.json'), JSON.stringify({ at: 1_000_000, total: 10 }));
    await autoGc({ root, maxSize: 10 * 1024 ** 3, now: 1_000_000 + 60_000 });
    expect(memo(root)).toEqual({ at: 1_000_000, total: 10 });
  });

  it('measures again when the measurement is old or close to the cap', async () => {
    const old = store('old', 300_000);
    writeFileSync(path.join(old, 'gc-measured.json'), JSON.stringify({ at: 1_000_000, total: 10 }));
    await autoGc({ root: old, maxSize: 10 * 1024 ** 3, now: 1_000_000 + 11 * 60_000 });
    expect(memo(old).total).toBeGreaterThanOrEqual(300_000);
    const near = store('near', 300_000);
    writeFileSync(path.join(near, 'gc-measured.json'), JSON.stringify({ at: 1_000_000, total: 600 }));
    await autoGc({ root: near, maxSize: 1000, now: 1_000_000 + 1000 }).catch(() => undefined);
    expect(memo(near).total).toBeGreaterThanOrEqual(300_000);
  });
});
