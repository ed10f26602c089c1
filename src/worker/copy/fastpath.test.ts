// The synchronous small-leaf path and the queued path produce identical trees.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { have } from '../../../test/helpers/env.js';
import { openContext, type BuildContext } from '../../context/index.js';
import { isTsbuildError } from '../../core/index.js';
import { parseChmod } from './chmod.js';
import { codeOf, fixture, type Fixture } from './test-util.js';
import { Copier, type Owner } from './tree.js';

interface Seen {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtimeNs: bigint;
  content?: string;
  link?: string;
  /** For multiply-linked files: the first path of the same inode. */
  inode?: string;
}

/** Everything the copy is supposed to decide, per path below dir. */
async function snapshot(dir: string): Promise<Map<string, Seen>> {
  const out = new Map<string, Seen>();
  const inodes = new Map<bigint, string>();
  async function rec(rel: string): Promise<void> {
    const names = (await fsp.readdir(path.join(dir, rel))).sort();
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      const abs = path.join(dir, r);
      const st = await fsp.lstat(abs, { bigint: true });
      const s: Seen = { type: st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'file', mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid), mtimeNs: st.mtimeNs };
      if (st.isFile()) {
        s.content = (await fsp.readFile(abs)).toString('base64');
        if (st.nlink > 1n) {
          if (!inodes.has(st.ino)) inodes.set(st.ino, r);
          s.inode = inodes.get(st.ino);
        }
      }
      if (st.isSymbolicLink()) s.link = await fsp.readlink(abs);
      out.set(r, s);
      if (st.isDirectory()) await rec(r);
    }
  }
  await rec('');
  return out;
}

async function copyTree(o: { source: BuildContext; into: string; syncMaxBytes: number; chown?: Owner; chmod?: string; signal?: AbortSignal }): Promise<{ files: number; bytes: number }> {
  const copier = new Copier({
    source: o.source,
    syncMaxBytes: o.syncMaxBytes,
    ...(o.chown ? { chown: o.chown } : {}),
    ...(o.chmod ? { chmod: parseChmod(o.chmod) } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const [top] = await o.source.select(['.']);
  if (!top) throw new Error('no top');
  try {
    await copier.copyDirContents(top, o.into);
    await copier.finish();
  } catch (e) {
    await copier.abandon();
    throw e;
  }
  return { files: copier.files, bytes: copier.bytes };
}

let base: string;
let ctx: string;
beforeEach(async () => {
  base = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-fast-'));
  ctx = path.join(base, 'ctx');
  const w = async (rel: string, content: string | Buffer, mode: number, mtime: number): Promise<void> => {
    const p = path.join(ctx, rel);
    await fsp.mkdir(path.dirname(p), { recursive: true });
    await fsp.writeFile(p, content);
    await fsp.chmod(p, mode);
    await fsp.utimes(p, mtime, mtime + 0.123456789);
  };
  await w('a.txt', 'alpha', 0o644, 1_000_000);
  await w('empty', '', 0o600, 1_000_001);
  await w('bin/tool', '#!/bin/sh\n', 0o755, 1_000_002);
  await w('bin/setuid', 'x', 0o4755, 1_000_003);
  await w('bin/setgid', 'x', 0o2711, 1_000_004);
  await w('ro/locked', 'nobody writes me', 0o400, 1_000_005);
  await w('deep/er/still/leaf', Buffer.alloc(70_000, 7), 0o640, 1_000_006);
  await w('big/blob', Buffer.alloc(300_000, 3), 0o644, 1_000_007);
  await fsp.link(path.join(ctx, 'a.txt'), path.join(ctx, 'deep/hard-a'));
  await fsp.symlink('../a.txt', path.join(ctx, 'bin/link'));
  await fsp.symlink('/nowhere', path.join(ctx, 'dangling'));
  await fsp.lutimes(path.join(ctx, 'dangling'), 1_000_008, 1_000_009);
  await fsp.chmod(path.join(ctx, 'ro'), 0o555);
  await fsp.utimes(path.join(ctx, 'deep/er'), 1_000_010, 1_000_011);
});
afterEach(async () => {
  await fsp.chmod(path.join(ctx, 'ro'), 0o755).catch(() => undefined);
  await fsp.rm(base, { recursive: true, force: true });
});

async function both(o: { chown?: Owner; chmod?: string; prepare?: (dir: string) => Promise<void> }): Promise<[Map<string, Seen>, Map<string, Seen>]> {
  const out: Array<Map<string, Seen>> = [];
  for (const syncMaxBytes of [-1, 1 << 20]) {
    const into = path.join(base, `out${syncMaxBytes}`);
    await fsp.mkdir(into);
    await o.prepare?.(into);
    const r = await copyTree({ source: await openContext(ctx), into, syncMaxBytes, ...o });
    expect(r).toEqual({ files: 11, bytes: 5 + 10 + 1 + 1 + 16 + 70_000 + 300_000 });
    out.push(await snapshot(into));
  }
  return [out[0] as Map<string, Seen>, out[1] as Map<string, Seen>];
}

describe('synchronous and queued copies agree', () => {
  it('on a fresh destination', async () => {
    const [slow, fast] = await both({});
    expect([...fast.keys()]).toContain('bin/setuid');
    expect(fast.get('bin/setuid')?.mode).toBe(0o104755);
    expect(fast.get('deep/hard-a')?.inode).toBe('a.txt');
    expect(fast.get('deep/er')?.mtimeNs).toBe(slow.get('deep/er')?.mtimeNs);
    expect(fast).toEqual(slow);
  });

  it('with --chmod and --chown', async () => {
    const [slow, fast] = await both({ chmod: 'u=rwX,g+s,o-rwx', chown: { uid: process.geteuid?.() ?? 0, gid: 4242 } });
    expect(fast.get('a.txt')?.mode).toBe(0o102640);
    expect(fast).toEqual(slow);
  });

  it('when replacing existing leaves', async () => {
    const prepare = async (dir: string): Promise<void> => {
      await fsp.writeFile(path.join(dir, 'a.txt'), 'old content that is longer');
      await fsp.symlink('/etc/passwd', path.join(dir, 'empty'));
      await fsp.mkdir(path.join(dir, 'bin'));
      await fsp.writeFile(path.join(dir, 'bin/link'), 'a file where a link goes');
      await fsp.symlink('a.txt', path.join(dir, 'dangling'));
    };
    const [slow, fast] = await both({ prepare });
    expect(fast.get('a.txt')?.content).toBe(Buffer.from('alpha').toString('base64'));
    expect(fast.get('empty')?.type).toBe('file');
    expect(fast).toEqual(slow);
  });

  it('refuses to replace a directory with a file either way', async () => {
    for (const syncMaxBytes of [-1, 1 << 20]) {
      const into = path.join(base, `dir${syncMaxBytes}`);
      await fsp.mkdir(path.join(into, 'a.txt'), { recursive: true });
      const err = await copyTree({ source: await openContext(ctx), into, syncMaxBytes }).catch((e: unknown) => e);
      expect(isTsbuildError(err) && err.code).toBe('TSB2107');
    }
  });
});

describe.skipIf(!have('root'))('owners of synchronously created leaves', () => {
  it('are set even when a set-gid directory would hand out its own group', async () => {
    const into = path.join(base, 'sgid');
    await fsp.mkdir(into);
    await fsp.chown(into, 0, 4321);
    await fsp.chmod(into, 0o2775);
    await copyTree({ source: await openContext(ctx), into, syncMaxBytes: 1 << 20 });
    const seen = await snapshot(into);
    const wrong = [...seen].filter(([, s]) => s.uid !== 0 || s.gid !== 0).map(([p]) => p);
    expect(wrong).toEqual([]);
  });
});

describe('copy order and abort', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(async () => {
    await f.cleanup();
  });

  it('lets a later small leaf win over an earlier queued one at the same path', async () => {
    await f.write('one/x', 'L'.repeat(1 << 20));
    await f.write('two/x', 'small');
    const source = await f.ctx();
    const [big, small] = await source.select(['one/x', 'two/x']);
    if (!big || !small) throw new Error('select');
    const copier = new Copier({ source, syncMaxBytes: 1024 });
    await fsp.mkdir(f.inRoot('d'));
    await copier.copyLeaf(big, f.inRoot('d/x'));
    await copier.copyLeaf(small, f.inRoot('d/x'));
    await copier.finish();
    expect(await fsp.readFile(f.inRoot('d/x'), 'utf8')).toBe('small');
  });

  it('stops a long synchronous run when aborted', async () => {
    for (let i = 0; i < 600; i++) await f.write(`many/f${i}`, 'x');
    const ac = new AbortController();
    const p = f.copy({ sources: ['many'], dest: '/m/', signal: ac.signal });
    setImmediate(() => ac.abort());
    expect(await codeOf(p)).not.toBeUndefined();
    const copied = await fsp.readdir(f.inRoot('m')).catch(() => []);
    expect(copied.length).toBeLessThan(600);
  });
});
