// RUN: executes the command in a container on a writable snapshot of the parent step.
import { createWriteStream, promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { TsbuildError } from '../core/index.js';
import type { ExecOp, Vertex } from '../graph/index.js';
import type { ExecMount } from '../executor/index.js';
import type { OpResult, RunContext } from '../solver/index.js';
import type { WorkerDeps } from './deps.js';
import { prepareRunMounts } from './run-mounts.js';
import { layerStep } from './step.js';
import { resolveUser } from './user.js';

const TAIL_LINES = 20;

function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)}${units[i]}`;
}

export async function runExecOp(deps: WorkerDeps, v: Vertex, op: ExecOp, inputs: readonly OpResult[], ctx: RunContext): Promise<OpResult> {
  if (op.security === 'insecure' && !deps.allowInsecure) {
    throw new TsbuildError('TSB3006', 'RUN --security=insecure needs `tsbuild build --allow security.insecure`', v.meta.location ? { location: v.meta.location } : {});
  }
  const executor = await deps.executor();
  // The owner's pid in the id lets a later build reap the container if this process is killed.
  const id = `tsb-${process.pid}-${randomBytes(6).toString('hex')}`;
  const logFile = path.join(deps.logDir, `${v.digest.slice(0, 16)}.log`);
  await fsp.mkdir(deps.logDir, { recursive: true });
  const log = createWriteStream(logFile);
  let tail = '';
  const keepTail = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).split('\n').slice(-(TAIL_LINES + 1)).join('\n');
  };
  try {
    return await layerStep(deps, inputs[0], async (root) => {
      const user = await resolveUser(root, op.user || '0');
      const prepared = await prepareRunMounts(deps, op, inputs, ctx.signal);
      try {
        const mounts: ExecMount[] = prepared.mounts;
        const result = await executor.run(
          {
            id, rootfs: root, args: op.args, env: [...op.env, ...(v.meta.extraEnv ?? []), ...prepared.env], cwd: op.cwd,
            uid: user.uid, gid: user.gid, additionalGids: user.additionalGids, hostname: op.hostname,
            network: op.network, mounts, limits: deps.limits, insecure: op.security === 'insecure',
          },
          {
            stdout: (c) => { log.write(c); keepTail(c); ctx.log('stdout', c); },
            stderr: (c) => { log.write(c); keepTail(c); ctx.log('stderr', c); },
          },
          ctx.signal,
        );
        if (ctx.signal.aborted) throw new TsbuildError('TSB3008', 'build cancelled');
        const location = v.meta.location ? { location: v.meta.location } : {};
        const detail = `${tail.trim() ? `${tail.trimEnd()}\n` : ''}(full output: ${logFile})`;
        if (result.oomKilled) {
          const limit = deps.limits.memoryBytes ? ` (--memory ${humanBytes(deps.limits.memoryBytes)})` : '';
          throw new TsbuildError('TSB3002', `${v.meta.text}: killed by the out-of-memory killer${limit}`, { ...location, detail });
        }
        if (result.signal) throw new TsbuildError('TSB3003', `${v.meta.text}: killed by signal ${result.signal}`, { ...location, detail });
        if (result.exitCode !== 0) {
          throw new TsbuildError('TSB3001', `${v.meta.text}: exited with code ${result.exitCode}`, { ...location, detail });
        }
      } finally {
        await prepared.release();
      }
    }, { signal: ctx.signal });
  } finally {
    await new Promise<void>((resolve) => log.end(resolve));
  }
}
