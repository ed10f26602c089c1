// --chmod parsing: octal and symbolic clauses, checked by table and against chmod(1).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseChmod } from './chmod.js';
import { isTsbuildError } from '../../core/index.js';

// [spec, start mode, isDir, expected]
const table: Array<[string, number, boolean, number]> = [
  ['755', 0o644, false, 0o755],
  ['0640', 0o777, true, 0o640],
  ['4755', 0o644, false, 0o4755],
  ['u+x', 0o644, false, 0o744],
  ['g-w', 0o664, false, 0o644],
  ['+x', 0o644, false, 0o755],
  ['a-r', 0o644, false, 0o200],
  ['go=', 0o755, false, 0o700],
  ['u=rwx,go=rx', 0, false, 0o755],
  ['go=u-w', 0o700, false, 0o755],
  ['g=u', 0o2740, false, 0o2770],
  ['+X', 0o644, false, 0o644],
  ['+X', 0o744, false, 0o755],
  ['+X', 0o644, true, 0o755],
  ['=rw,+X', 0o755, false, 0o777],
  ['=rw,+X', 0o644, false, 0o666],
  ['u+s', 0o755, false, 0o4755],
  ['g+s', 0o755, true, 0o2755],
  ['o+s', 0o755, false, 0o755],
  ['+t', 0o755, true, 0o1755],
  ['o+t', 0o755, true, 0o755],
  ['a+rwx', 0, false, 0o777],
  ['u=rw-x', 0o777, false, 0o677],
  ['o-rwx,g+r', 0o707, false, 0o740],
  ['+', 0o640, false, 0o640],
];

describe('parseChmod', () => {
  it.each(table)('%s on %o (dir %s) → %o', (spec, start, isDir, want) => {
    expect(parseChmod(spec).apply(start, isDir)).toBe(want);
  });

  it.each(['', '8', '0888', '77777', 'z+x', 'u+z', 'u', 'u+x,', 'u+x;g+w'])('rejects %j with TSB2105', (spec) => {
    let err: unknown;
    try {
      parseChmod(spec);
    } catch (e) {
      err = e;
    }
    expect(isTsbuildError(err) && err.code).toBe('TSB2105');
  });
});

describe('parseChmod agrees with chmod(1) when the classes are explicit', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-chmod-'));
  });
  afterAll(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });
  const specs = ['u+x', 'g-w,o-r', 'ug=rw', 'go=u-w', 'a+X', 'u=rwx,g=rx,o=', 'o=g', 'a-x,u+x', 'g+s', 'u+s,o-w'];
  const starts = [0o644, 0o755, 0o600, 0o751];
  it.each(specs)('%s', async (spec) => {
    for (const start of starts) {
      const file = path.join(dir, 'f');
      await fsp.writeFile(file, '');
      await fsp.chmod(file, start);
      execFileSync('chmod', [spec, file]);
      const want = (await fsp.stat(file)).mode & 0o7777;
      expect([start.toString(8), parseChmod(spec).apply(start, false).toString(8)]).toEqual([start.toString(8), want.toString(8)]);
    }
  });
});
