// USER and --chown resolution against a fake image rootfs.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveChown, resolveUser } from './user.js';
import { isTsbuildError } from '../core/index.js';

const passwd = `root:x:0:0:root:/root:/bin/sh
# a comment line
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
alice:x:1000:1000:Alice:/home/alice:/bin/sh
bob:x:1001:100::/home/bob:/bin/sh
2000:x:3000:3000:numeric name:/:/bin/sh
`;
const group = `root:x:0:
users:x:100:alice
alice:x:1000:
wheel:x:10:alice,bob
docker:x:999:bob
staff:x:50:
`;

let root: string;
let bare: string;
let linked: string;
beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-user-'));
  await fsp.mkdir(path.join(root, 'etc'));
  await fsp.writeFile(path.join(root, 'etc/passwd'), passwd);
  await fsp.writeFile(path.join(root, 'etc/group'), group);
  bare = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-user-bare-'));
  // /etc is a symlink with an absolute target: it must resolve inside the rootfs.
  linked = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-user-linked-'));
  await fsp.mkdir(path.join(linked, 'real/etc'), { recursive: true });
  await fsp.writeFile(path.join(linked, 'real/etc/passwd'), 'web:x:33:33::/:/bin/sh\n');
  await fsp.writeFile(path.join(linked, 'real/etc/group'), 'web:x:33:\nextra:x:77:web\n');
  await fsp.symlink('/real/etc', path.join(linked, 'etc'));
});
afterAll(async () => {
  for (const d of [root, bare, linked]) await fsp.rm(d, { recursive: true, force: true });
});

async function errCode(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  return isTsbuildError(e) ? e.code : undefined;
}

describe('resolveUser (USER)', () => {
  it.each([
    ['root', { uid: 0, gid: 0, additionalGids: [] }],
    ['0', { uid: 0, gid: 0, additionalGids: [] }],
    ['alice', { uid: 1000, gid: 1000, additionalGids: [100, 10] }],
    ['1000', { uid: 1000, gid: 1000, additionalGids: [100, 10] }],
    ['bob', { uid: 1001, gid: 100, additionalGids: [10, 999] }],
    ['alice:staff', { uid: 1000, gid: 50, additionalGids: [] }],
    ['alice:999', { uid: 1000, gid: 999, additionalGids: [] }],
    ['alice:4242', { uid: 1000, gid: 4242, additionalGids: [] }],
    ['1234', { uid: 1234, gid: 0, additionalGids: [] }],
    ['1234:5678', { uid: 1234, gid: 5678, additionalGids: [] }],
    ['1234:docker', { uid: 1234, gid: 999, additionalGids: [] }],
    ['2000', { uid: 3000, gid: 3000, additionalGids: [] }],
  ])('%s', async (spec, want) => {
    expect(await resolveUser(root, spec)).toEqual(want);
  });

  it('rejects unknown names with TSB2106 naming them', async () => {
    expect(await errCode(resolveUser(root, 'nobody'))).toBe('TSB2106');
    expect(await errCode(resolveUser(root, 'alice:nogroup'))).toBe('TSB2106');
    const e = await resolveUser(root, 'ghost').catch((x: unknown) => x);
    expect((e as Error).message).toContain('ghost');
  });

  it('works without passwd for numeric ids and fails for names', async () => {
    expect(await resolveUser(bare, '5:6')).toEqual({ uid: 5, gid: 6, additionalGids: [] });
    expect(await resolveUser(bare, '7')).toEqual({ uid: 7, gid: 0, additionalGids: [] });
    expect(await errCode(resolveUser(bare, 'alice'))).toBe('TSB2106');
  });

  it('follows an /etc symlink inside the rootfs', async () => {
    expect(await resolveUser(linked, 'web')).toEqual({ uid: 33, gid: 33, additionalGids: [77] });
  });
});

describe('resolveChown (--chown)', () => {
  it.each([
    ['alice', { uid: 1000, gid: 1000 }],
    ['bob', { uid: 1001, gid: 100 }],
    ['alice:wheel', { uid: 1000, gid: 10 }],
    ['alice:77', { uid: 1000, gid: 77 }],
    ['1000', { uid: 1000, gid: 1000 }],
    ['4242', { uid: 4242, gid: 4242 }],
    ['4242:7', { uid: 4242, gid: 7 }],
    ['4242:docker', { uid: 4242, gid: 999 }],
    ['0:0', { uid: 0, gid: 0 }],
  ])('%s', async (spec, want) => {
    expect(await resolveChown(root, spec)).toEqual(want);
  });

  it('rejects unknown users and groups with TSB2106', async () => {
    expect(await errCode(resolveChown(root, 'ghost'))).toBe('TSB2106');
    expect(await errCode(resolveChown(root, '1:ghosts'))).toBe('TSB2106');
    expect(await errCode(resolveChown(bare, 'alice'))).toBe('TSB2106');
    expect(await errCode(resolveChown(bare, '1:staff'))).toBe('TSB2106');
  });

  it('reads through an /etc symlink inside the rootfs', async () => {
    expect(await resolveChown(linked, 'web:extra')).toEqual({ uid: 33, gid: 77 });
  });
});
