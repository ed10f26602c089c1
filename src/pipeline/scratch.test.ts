// removeScratch: empty, filled and missing scratch directories.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeScratch } from './scratch.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function scratch(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'tsb-scratch-'));
  dirs.push(d);
  return d;
}

describe('removeScratch', () => {
  it('removes an empty directory, a filled one and tolerates a missing one', async () => {
    const empty = scratch();
    await removeScratch(empty);
    expect(existsSync(empty)).toBe(false);

    const filled = scratch();
    mkdirSync(path.join(filled, 'a', 'b'), { recursive: true });
    writeFileSync(path.join(filled, 'a', 'b', 'f'), 'x');
    await removeScratch(filled);
    expect(existsSync(filled)).toBe(false);

    await expect(removeScratch(path.join(empty, 'never'))).resolves.toBeUndefined();
  });
});
