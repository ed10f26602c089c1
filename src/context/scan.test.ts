import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openContext } from './context.js';
import { forEachRecord, scanDefaults, scanTree } from './scan.js';
import { statEntrySync } from './stat.js';
import type { ContextEntry, ScanEntry } from './types.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tsb-scan-'));
const defaults = { ...scanDefaults };
afterAll(() => {
  Object.assign(scanDefaults, defaults);
  rmSync(tmp, { recursive: true, force: true });
});
let n = 0;

/** A tree with the awkward cases: odd names, a symlink, a fifo, special mode bits, an empty dir. */
function tree(): string {
  const dir = path.join(tmp, `t${n++}`);
  mkdirSync(path.join(dir, 'sub', 'deep'), { recursive: true });
  mkdirSync(path.join(dir, 'empty'));
  writeFileSync(path.join(dir, 'plain.txt'), 'plain');
  writeFileSync(path.join(dir, 'with space\nand newline'), 'odd');
  writeFileSync(path.join(dir, 'ünïcødé ✓'), 'u');
  writeFileSync(path.join(dir, 'sub', 'deep', 'x.log'), 'log');
  writeFileSync(path.join(dir, 'sub', 'a.txt'), 'a');
  writeFileSync(path.join(dir, 'setuid'), '#!/bin/sh\n');
  chmodSync(path.join(dir, 'setuid'), 0o4755);
  chmodSync(path.join(dir, 'sub'), 0o750);
  symlinkSync('../target with space', path.join(dir, 'sub', 'link'));
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  utimesSync(path.join(dir, 'plain.txt'), 1_000_000_000.123456, 1_000_000_000.987654);
  // Names that are not UTF-8 (a file, and a directory with a file in it): no walk can open them.
  writeFileSync(Buffer.concat([Buffer.from(`${dir}/bad`), Buffer.from([0xff])]), 'x');
  const badDir = Buffer.concat([Buffer.from(`${dir}/sub/dir`), Buffer.from([0xf0, 0x90, 0x80]), Buffer.from('A')]);
  mkdirSync(badDir);
  writeFileSync(Buffer.concat([badDir, Buffer.from('/inner')]), 'y');
  return dir;
}

async function records(dir: string, o: { find: boolean }): Promise<ScanEntry[]> {
  const out: ScanEntry[] = [];
  for (const b of await scanTree(dir, undefined, o.find ? { smallTree: 0 } : { find: false })) forEachRecord(b, '', (r) => out.push(r));
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function walked(dir: string): Promise<ContextEntry[]> {
  const ctx = await openContext(dir);
  const out: ContextEntry[] = [];
  for await (const e of ctx.walk('.')) out.push(e);
  return out;
}

describe('scanTree', () => {
  it('reads the same records with find as with lstat here, with exact nanosecond signatures', async () => {
    const dir = tree();
    const viaFind = await records(dir, { find: true });
    const here = await records(dir, { find: false });
    expect(viaFind).toEqual(here);
    expect(viaFind.map((r) => r.path)).toContain('with space\nand newline');
    const link = viaFind.find((r) => r.path === 'sub/link');
    expect(link).toMatchObject({ type: 'symlink', linkTarget: '../target with space' });
    expect(viaFind.find((r) => r.path === 'setuid')?.perm).toBe(0o4755);
    expect(viaFind.find((r) => r.path === 'fifo')?.type).toBe('other');
    for (const r of viaFind.filter((x) => x.type === 'file')) expect(r.sig).toBe(statEntrySync(dir, r.path)?.sig);
  });

  it('reads only the given start points and what is below them', async () => {
    const dir = tree();
    const out: string[] = [];
    for (const b of await scanTree(dir, ['sub', 'plain.txt'], { smallTree: 0 })) forEachRecord(b, 'base', (r) => out.push(r.path));
    expect(out.sort()).toEqual(['base/plain.txt', 'base/sub', 'base/sub/a.txt', 'base/sub/deep', 'base/sub/deep/x.log', 'base/sub/link']);
    expect(await scanTree(dir, [])).toEqual([]);
  });
});

describe('scanBelow', () => {
  const ignores = ['', 'sub\n', '*\n!sub/deep\n', 'sub\n!sub/deep/x.log\n', '**/*.log\n', 'sub/*\n!sub/a*\n', 'plain.txt\nempty\n', 'sub/deep/x.log\n', 'sub/de*\n', 'su?\n!sub/link\n'];
  for (const ignore of ignores) {
    it(`yields what walk() yields, with .dockerignore ${JSON.stringify(ignore)}`, async () => {
      const dir = tree();
      if (ignore) writeFileSync(path.join(dir, '.dockerignore'), ignore);
      const want = (await walked(dir)).map((e) => ({ path: e.path, type: e.type, perm: e.mode & 0o7777, uid: e.uid, gid: e.gid, sig: e.sig, link: e.linkTarget }));
      for (const smallTree of [0, 2000]) {
        scanDefaults.smallTree = smallTree;
        const scan = await (await openContext(dir)).scanBelow?.('.', {});
        const viaFind = (await scan?.entries()) ?? [];
        const got = viaFind.map((e) => ({ path: e.path, type: e.type, perm: e.perm, uid: e.uid, gid: e.gid, sig: e.type === 'file' ? e.sig : undefined, link: e.linkTarget }));
        const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : 1);
        expect(got.sort(byPath), `smallTree ${smallTree}`).toEqual(want.sort(byPath));
      }
    });
  }

  it('scans a subdirectory with paths relative to the root', async () => {
    const dir = tree();
    writeFileSync(path.join(dir, '.dockerignore'), 'sub/deep\n');
    const scan = await (await openContext(dir)).scanBelow?.('sub');
    expect(((await scan?.entries()) ?? []).map((e) => e.path).sort()).toEqual(['sub/a.txt', 'sub/link']);
  });

  it('changes its fingerprint with any stat change below, and only then', async () => {
    const dir = tree();
    const fp = async (): Promise<string | undefined> => (await (await openContext(dir)).scanBelow?.('.'))?.fingerprint;
    const first = await fp();
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(await fp()).toBe(first);
    const seen = new Set([first]);
    const changes: Array<() => void> = [
      () => writeFileSync(path.join(dir, 'sub', 'a.txt'), 'b'),
      () => chmodSync(path.join(dir, 'plain.txt'), 0o600),
      () => writeFileSync(path.join(dir, 'sub', 'deep', 'new'), ''),
      () => utimesSync(path.join(dir, 'ünïcødé ✓'), 5, 5),
    ];
    for (const change of changes) {
      change();
      const now = await fp();
      expect(seen.has(now)).toBe(false);
      seen.add(now);
      expect(await fp()).toBe(now);
    }
  });
});
