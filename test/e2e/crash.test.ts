// Killing tsbuild (SIGKILL) at random moments never leaves a store that the next build or a
// prune rejects.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ContentStore, RefStore } from '../../src/content/index.js';
import { validateImage } from '../../src/image/index.js';
import { busyboxPath, have } from '../helpers/env.js';
import { tempDir, tsbuild } from '../helpers/cli.js';
import { ensureDist, spawnCli } from '../helpers/dist.js';

describe.skipIf(!have('root', 'overlay', 'runc', 'busybox'))('crash safety', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('SIGKILL at random moments, then build and prune: the store is never corrupt', async () => {
    ensureDist();
    const ctx = path.join(t.dir, 'ctx');
    const root = path.join(t.dir, 'store');
    mkdirSync(path.join(ctx, 'files'), { recursive: true });
    copyFileSync(busyboxPath, path.join(ctx, 'busybox'));
    for (let i = 0; i < 40; i++) writeFileSync(path.join(ctx, 'files', `f${i}.txt`), `file ${i}\n`.repeat(200));
    const dockerfile = (n: number): string => `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox","--install","-s","/bin"]
COPY files/ /files/
RUN echo round ${n} > /round && cat /files/* | wc -c > /size
COPY busybox /copy-${n}
`;
    // Seeded, so a failure can be replayed.
    let seed = 42;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 8; round++) {
      writeFileSync(path.join(ctx, 'Dockerfile'), dockerfile(round));
      const child = spawnCli(['--root', root, 'build', '-t', `crash:${round}`, '--progress', 'plain', '.'], { cwd: ctx });
      const delay = 100 + Math.floor(rand() * 1500);
      await new Promise((r) => setTimeout(r, delay));
      child.proc.kill('SIGKILL');
      await child.exited;
      // The next build of the same Dockerfile must succeed and produce a valid image.
      const again = await tsbuild(['--root', root, 'build', '-t', `crash:${round}`, '--progress', 'plain', '.'], { cwd: ctx });
      expect(again.code, `round ${round} (killed after ${delay} ms): ${again.stderr}`).toBe(0);
      const content = new ContentStore(root);
      const desc = await new RefStore(path.join(root, 'refs')).get(`docker.io/library/crash:${round}`);
      expect(desc).toBeDefined();
      if (desc) await validateImage(content, desc);
    }
    const prune = await tsbuild(['--root', root, 'cache', 'prune', '--all']);
    expect(prune.code, prune.stderr).toBe(0);
    const after = await tsbuild(['--root', root, 'build', '-t', 'crash:final', '--progress', 'plain', '.'], { cwd: ctx });
    expect(after.code, after.stderr).toBe(0);
  }, 240_000);
});
