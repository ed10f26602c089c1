// ADD of local archives: every compression is extracted; look-alikes and COPY are copied as is.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { have } from '../../../test/helpers/env.js';
import { fixture, listTree, type Fixture } from './test-util.js';

let f: Fixture;
beforeEach(async () => {
  f = await fixture();
  const src = path.join(f.ctxDir, '..', 'payload');
  await fsp.mkdir(path.join(src, 'pkg/bin'), { recursive: true });
  await fsp.writeFile(path.join(src, 'pkg/bin/tool'), 'tool');
  await fsp.chmod(path.join(src, 'pkg/bin/tool'), 0o755);
  await fsp.writeFile(path.join(src, 'pkg/readme'), 'hello');
  execFileSync('tar', ['-cf', path.join(f.ctxDir, 'plain.tar'), '--owner=77', '--group=88', '-C', src, 'pkg']);
  const raw = await fsp.readFile(path.join(f.ctxDir, 'plain.tar'));
  const compressors: Array<[string, string[]]> = [
    ['gz', ['gzip', '-c']],
    ['bz2', ['bzip2', '-c']],
    ['xz', ['xz', '-c']],
    ['zst', ['zstd', '-q', '-c']],
  ];
  for (const [ext, [cmd, ...args]] of compressors) {
    // Names deliberately hide the format: detection must go by content.
    await fsp.writeFile(path.join(f.ctxDir, `archive-${ext}.bin`), execFileSync(cmd as string, args, { input: raw }));
  }
  await f.write('fake.tar.gz', 'not really an archive');
});
afterEach(async () => {
  await f.cleanup();
});

describe('ADD of local archives', () => {
  it.each(['plain.tar', 'archive-gz.bin', 'archive-bz2.bin', 'archive-xz.bin', 'archive-zst.bin'])('extracts %s into the destination', async (name) => {
    await f.copy({ sources: [name], dest: '/opt', mode: 'add' });
    expect(await listTree(f.inRoot('opt'))).toEqual(['pkg/', 'pkg/bin/', 'pkg/bin/tool', 'pkg/readme']);
    expect(await fsp.readFile(f.inRoot('opt/pkg/readme'), 'utf8')).toBe('hello');
    expect((await fsp.stat(f.inRoot('opt/pkg/bin/tool'))).mode & 0o777).toBe(0o755);
  });

  it('copies an archive-looking file that is not a tar as is', async () => {
    await f.copy({ sources: ['fake.tar.gz'], dest: '/opt/', mode: 'add' });
    expect(await listTree(f.inRoot('opt'))).toEqual(['fake.tar.gz']);
    expect(await fsp.readFile(f.inRoot('opt/fake.tar.gz'), 'utf8')).toBe('not really an archive');
  });

  it('never extracts for COPY', async () => {
    await f.copy({ sources: ['archive-gz.bin'], dest: '/opt/' });
    expect(await listTree(f.inRoot('opt'))).toEqual(['archive-gz.bin']);
  });

  it('extracts matches of a wildcard and copies the rest', async () => {
    await f.copy({ sources: ['archive-x*.bin', 'fake.tar.gz'], dest: '/multi/', mode: 'add' });
    expect(await listTree(f.inRoot('multi'))).toEqual(['fake.tar.gz', 'pkg/', 'pkg/bin/', 'pkg/bin/tool', 'pkg/readme']);
  });

  it.skipIf(!have('root'))('keeps archive owners, or applies --chown', async () => {
    await f.copy({ sources: ['plain.tar'], dest: '/keep', mode: 'add' });
    const kept = await fsp.stat(f.inRoot('keep/pkg/readme'));
    expect([kept.uid, kept.gid]).toEqual([77, 88]);
    await f.copy({ sources: ['plain.tar'], dest: '/own', mode: 'add', chown: { uid: 5, gid: 6 } });
    const owned = await fsp.stat(f.inRoot('own/pkg/readme'));
    expect([owned.uid, owned.gid]).toEqual([5, 6]);
  });
});
