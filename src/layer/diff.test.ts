// Tests for diffTrees: deterministic tar format, ordering, hard links, PAX names, deletions.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { link, mkdir, rm, symlink, utimes, writeFile, chmod, lstat, cp } from 'node:fs/promises';
import path from 'node:path';
import { applyLayer, diffTrees } from './index.js';
import { buffer, listTar, snapshotTree, tempDir } from './test-util.js';

let base: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir: base, cleanup } = await tempDir());
});
afterEach(() => cleanup());

const EPOCH = 1_000_000_000;
const LONG = `${'d'.repeat(60)}/${'e'.repeat(70)}/${'f'.repeat(120)}`;

async function makeTree(root: string, mtime: number): Promise<void> {
  await mkdir(path.join(root, 'a/b'), { recursive: true });
  await mkdir(path.join(root, path.dirname(LONG)), { recursive: true });
  await writeFile(path.join(root, 'a/b/file'), 'hello');
  await writeFile(path.join(root, 'a-b'), 'dash');
  await writeFile(path.join(root, 'B'), 'upper');
  await writeFile(path.join(root, 'é'), 'accent');
  await writeFile(path.join(root, LONG), 'long');
  await writeFile(path.join(root, 'suid'), '#!/bin/sh\n');
  await chmod(path.join(root, 'suid'), 0o4755);
  await link(path.join(root, 'a/b/file'), path.join(root, 'hard'));
  await symlink('a/b/file', path.join(root, 'sym'));
  await symlink('x'.repeat(150), path.join(root, 'longsym'));
  await touchAll(root, mtime);
}

async function touchAll(root: string, mtime: number): Promise<void> {
  execFileSync('find', [root, '-exec', 'touch', '-h', '-d', `@${mtime}`, '{}', '+']);
}

describe('diffTrees (no lower): layer tar format', () => {
  it('is deterministic and clamps newer mtimes to the epoch', async () => {
    const t1 = path.join(base, 't1');
    const t2 = path.join(base, 't2');
    await makeTree(t1, EPOCH + 5000);
    await makeTree(t2, EPOCH + 99999);
    const b1 = await buffer(diffTrees(undefined, t1, { sourceDateEpoch: EPOCH }));
    const b1again = await buffer(diffTrees(undefined, t1, { sourceDateEpoch: EPOCH }));
    const b2 = await buffer(diffTrees(undefined, t2, { sourceDateEpoch: EPOCH }));
    expect(b1.equals(b1again)).toBe(true);
    expect(b1.equals(b2)).toBe(true);
    const entries = await listTar(b1);
    expect(entries.every((e) => e.header.mtime === EPOCH)).toBe(true);
    // Older mtimes are kept as they are.
    await touchAll(t2, EPOCH - 10);
    const older = await listTar(await buffer(diffTrees(undefined, t2, { sourceDateEpoch: EPOCH })));
    expect(older.every((e) => e.header.mtime === EPOCH - 10)).toBe(true);
    // Without an epoch the real mtime is kept, so the bytes differ.
    const raw = await buffer(diffTrees(undefined, t1));
    expect(raw.equals(b1)).toBe(false);
  });

  it('orders entries depth-first, bytewise per directory, parents first, and readable by GNU tar', async () => {
    const t = path.join(base, 't');
    await makeTree(t, EPOCH);
    const tarBytes = await buffer(diffTrees(undefined, t, { sourceDateEpoch: EPOCH }));
    const names = (await listTar(tarBytes)).map((e) => e.header.name);
    expect(names).toEqual([
      'B',
      'a/',
      'a/b/',
      'a/b/file',
      'a-b',
      `${LONG.split('/')[0]}/`,
      `${LONG.split('/').slice(0, 2).join('/')}/`,
      LONG,
      'hard',
      'longsym',
      'suid',
      'sym',
      'é',
    ]);
    const file = path.join(base, 'out.tar');
    await writeFile(file, tarBytes);
    const gnu = execFileSync('tar', ['-tf', file]).toString().trim().split('\n');
    expect(gnu).toEqual(names);
    const verbose = execFileSync('tar', ['--numeric-owner', '-tvf', file]).toString();
    expect(verbose).toMatch(/-rwsr-xr-x 0\/0 .* suid/);
    expect(verbose).toContain(`hard link to a/b/file`);
    // GNU tar extracts it to an identical tree.
    const x = path.join(base, 'x');
    await mkdir(x);
    execFileSync('tar', ['-xf', file, '-C', x]);
    expect((await lstat(path.join(x, LONG))).size).toBe(4);
    expect((await lstat(path.join(x, 'longsym'))).isSymbolicLink()).toBe(true);
  });

  it('writes hardlinks, setuid modes, symlink targets and PAX long names', async () => {
    const t = path.join(base, 't');
    await makeTree(t, EPOCH);
    const entries = await listTar(await buffer(diffTrees(undefined, t)));
    const by = new Map(entries.map((e) => [e.header.name, e]));
    expect(by.get('hard')?.header).toMatchObject({ type: 'link', linkname: 'a/b/file', size: 0 });
    expect(by.get('a/b/file')?.content.toString()).toBe('hello');
    expect(by.get('suid')?.header.mode).toBe(0o4755);
    expect(by.get('longsym')?.header.linkname).toBe('x'.repeat(150));
    expect(by.get(LONG)?.content.toString()).toBe('long');
    expect(by.get('é')?.content.toString()).toBe('accent');
    const uid = process.getuid?.() ?? 0;
    expect(by.get('B')?.header.uid).toBe(uid);
  });

  it('honours skip', async () => {
    const t = path.join(base, 't');
    await makeTree(t, EPOCH);
    const names = (await listTar(await buffer(diffTrees(undefined, t, { skip: (p) => p === 'a' || p === 'suid' })))).map(
      (e) => e.header.name,
    );
    expect(names.some((n) => n.startsWith('a/') || n === 'suid')).toBe(false);
    expect(names).toContain('a-b');
  });
});

describe('diffTrees (lower vs upper)', () => {
  it('emits changes and one whiteout per deleted path, then applies back to the same tree', async () => {
    const lower = path.join(base, 'lower');
    const upper = path.join(base, 'upper');
    await mkdir(path.join(lower, 'gone-dir/deep/er'), { recursive: true });
    await writeFile(path.join(lower, 'gone-dir/deep/er/f'), 'x');
    await mkdir(path.join(lower, 'etc'), { recursive: true });
    await writeFile(path.join(lower, 'etc/same'), 'same');
    await writeFile(path.join(lower, 'etc/touched'), 'same content');
    await writeFile(path.join(lower, 'etc/edited'), 'aaaa');
    await writeFile(path.join(lower, 'etc/gone'), 'bye');
    await writeFile(path.join(lower, 'etc/mode'), 'm');
    await touchAll(lower, EPOCH - 100);
    await cp(lower, upper, { recursive: true, preserveTimestamps: true });
    await rm(path.join(upper, 'gone-dir'), { recursive: true });
    await rm(path.join(upper, 'etc/gone'));
    await writeFile(path.join(upper, 'etc/touched'), 'same content');
    await writeFile(path.join(upper, 'etc/edited'), 'bbbb');
    await writeFile(path.join(upper, 'etc/new'), 'new');
    await chmod(path.join(upper, 'etc/mode'), 0o600);
    await utimes(path.join(upper, 'etc'), EPOCH - 100, EPOCH - 100);
    const tarBytes = await buffer(diffTrees(lower, upper));
    const names = (await listTar(tarBytes)).map((e) => e.header.name);
    expect(names).toEqual(['.wh.gone-dir', 'etc/', 'etc/.wh.gone', 'etc/edited', 'etc/mode', 'etc/new']);

    const applied = path.join(base, 'applied');
    await cp(lower, applied, { recursive: true, preserveTimestamps: true });
    const { Readable } = await import('node:stream');
    await applyLayer(Readable.from([tarBytes]), applied, { format: 'plain' });
    // Everything but mtimes (rewritten files carry their new, sub-second times in upper).
    const strip = (lines: string[]): string[] =>
      lines.filter((l) => !l.startsWith(' ')).map((l) => l.split(' ').filter((_, i) => i !== 3).join(' '));
    expect(strip(await snapshotTree(applied))).toEqual(strip(await snapshotTree(upper)));
  });

  it('replacing a directory with a file and a file with a directory', async () => {
    const lower = path.join(base, 'lower');
    const upper = path.join(base, 'upper');
    await mkdir(path.join(lower, 'x/y'), { recursive: true });
    await writeFile(path.join(lower, 'f'), 'file');
    await mkdir(path.join(upper, 'f'), { recursive: true });
    await writeFile(path.join(upper, 'f/inner'), 'in');
    await writeFile(path.join(upper, 'x'), 'now file');
    const names = (await listTar(await buffer(diffTrees(lower, upper)))).map((e) => e.header.name);
    expect(names).toEqual(['f/', 'f/inner', 'x']);
  });
});
