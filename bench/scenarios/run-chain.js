// Per-step RUN overhead: a chain of 20 `RUN true` on a busybox base, built cold (fresh store),
// tsbuild against buildah with the overlay driver, --layers and runc.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const STEPS = 20;

export default {
  name: 'run-chain',
  description: `FROM scratch + COPY busybox + busybox --install + ${STEPS} × RUN true, cold`,
  // RUN steps the per-step column divides by (the install step runs too)
  steps: STEPS + 1,
  reference: 'buildah',
  goal: 0.7,
  prepare(dir) {
    mkdirSync(dir, { recursive: true });
    copyFileSync('/bin/busybox', path.join(dir, 'busybox'));
    const runs = Array.from({ length: STEPS }, () => 'RUN true').join('\n');
    writeFileSync(path.join(dir, 'Dockerfile'), `FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\n${runs}\n`);
    return dir;
  },
  builders: {
    tsbuild: (ctx, scratch) => ({
      cmd: process.execPath,
      args: [path.join(repoRoot, 'bin', 'tsbuild.js'), '--root', path.join(scratch, 'root'), 'build', '-t', 'bench:1', '--progress', 'quiet', ctx],
    }),
    buildah: (ctx, scratch) => ({
      cmd: 'buildah',
      args: ['--root', path.join(scratch, 'root'), '--runroot', path.join(scratch, 'run'), '--storage-driver', 'overlay', 'bud', '--layers', '--runtime', 'runc', '--quiet', '-t', 'bench:1', ctx],
      // buildah leaves its overlay mounts of a store it does not know about again; unmount them
      cleanup: () => {
        spawnUnmount(path.join(scratch, 'root'));
      },
    }),
  },
};

function spawnUnmount(root) {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m && m.startsWith(root));
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
}
