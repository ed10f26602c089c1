// Shared pieces of the phased cache scenarios: the tsbuild and buildah command lines, one-file
// changes that are undone afterwards, and the note that no Docker daemon runs here.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** tsbuild on a store of its own under `scratch`: build, and export as an OCI tarball. */
export function tsbuild(ctx, scratch, o = {}) {
  const base = [path.join(repoRoot, 'bin', 'tsbuild.js'), '--root', path.join(scratch, 'root'), 'build', '-t', 'bench:1', '--progress', 'quiet'];
  return {
    build: { cmd: process.execPath, args: [...base, ctx] },
    export: { cmd: process.execPath, args: [...base, '--output', `type=oci,dest=${path.join(scratch, o.exportName ?? 'image.tar')}`, ctx] },
  };
}

/** buildah with overlay storage, --layers and runc, as a daemonless reference; export through `push oci-archive:`. */
export function buildah(ctx, scratch) {
  const g = ['--root', path.join(scratch, 'root'), '--runroot', path.join(scratch, 'run'), '--storage-driver', 'overlay'];
  return {
    build: { cmd: 'buildah', args: [...g, 'bud', '--layers', '--runtime', 'runc', '--quiet', '-t', 'bench:1', ctx] },
    export: { cmd: 'buildah', args: [...g, 'push', '--quiet', 'bench:1', `oci-archive:${path.join(scratch, 'image.tar')}`] },
    // buildah leaves its overlay mounts of a store it does not know about again; unmount them
    cleanup: () => unmountBelow(path.join(scratch, 'root')),
  };
}

export function unmountBelow(root) {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m && m.startsWith(root));
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
}

/** Rewrites one file with different bytes of the same length; returns the undo. */
export function changeFile(file, run) {
  const before = readFileSync(file);
  const after = Buffer.from(before);
  const stamp = Buffer.from(`changed ${run} ${process.pid} ${Date.now()}\n`);
  stamp.copy(after, 0, 0, Math.min(stamp.length, after.length));
  writeFileSync(file, after);
  return () => writeFileSync(file, before);
}

/** No Docker daemon can run on this machine (only the client is installed): said, not timed. */
export const unavailable = { docker: 'no Docker daemon can run on this machine (only the docker client is installed)' };

/** The busybox base every scenario starts from. */
export const BUSYBOX_BASE = 'COPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\n';
