// Filesystem operations Node lacks (mknod, mkfifo, xattrs) done through small system tools.
import path from 'node:path';
import { runTool } from './tools.js';

export interface NodeSpec {
  kind: 'char' | 'block' | 'fifo';
  major: number;
  minor: number;
}

/**
 * Creates a device node or fifo named `name` inside the already-verified directory `dir`. The
 * tool runs with `dir` as its working directory and gets a bare name, so no symlink in the
 * path can redirect it.
 */
export async function makeNode(dir: string, name: string, spec: NodeSpec, signal?: AbortSignal): Promise<void> {
  const opts = { cwd: dir, ...(signal ? { signal } : {}) };
  if (spec.kind === 'fifo') await runTool('mkfifo', ['--', name], opts);
  else await runTool('mknod', ['--', name, spec.kind === 'char' ? 'c' : 'b', String(spec.major), String(spec.minor)], opts);
}

/** Sets one xattr on `file` without following a symlink at its last component. */
export async function setXattr(file: string, name: string, value: Buffer, signal?: AbortSignal): Promise<void> {
  await runTool('setfattr', ['-h', '-n', name, '-v', `0x${value.toString('hex')}`, path.resolve(file)], signal ? { signal } : {});
}
