// The runc driver, the only code that starts containers: bundle setup, `runc run` (kept under a memory
// limit for OOM detection), abort, and cleanup of runc state, cgroups, stubs and the bundle.
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TsbuildError, abortError, throwIfAborted } from '../core/index.js';
import { cgroupDirs, detectCgroupVersion, oomKilled, removeCgroupDirs } from './cgroup.js';
import { writeEtcFiles } from './etcfiles.js';
import { generateSpec, validateRequest } from './spec.js';
import { pidAlive, runCommand } from '../core/index.js';
import { missingMountPoints, removeStubs } from './stubs.js';
import { fitToHost, readHostGrant } from './host-limits.js';
import type { ExecIO, ExecRequest, ExecResult, Executor } from './types.js';

export interface RuncExecutorOptions {
  /** runc binary name or path; default `runc` on PATH. */
  runtime?: string;
  /** runc's state directory (`runc --root`). */
  stateDir: string;
  /** Where per-run bundle directories are made; default os.tmpdir(). */
  tmpDir?: string;
}

function findExecutable(name: string): string | undefined {
  const candidates = name.includes('/') ? [path.resolve(name)] : (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':').filter(Boolean).map((d) => path.join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, fsConstants.X_OK);
      return c;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

const signalNames = new Map<number, string>(Object.entries(os.constants.signals).map(([name, n]) => [n, name]));

/** runc reports death by signal n as exit status 128+n. */
function signalOf(exitCode: number): string | undefined {
  return exitCode > 128 ? signalNames.get(exitCode - 128) : undefined;
}

async function runtimeErrors(logFile: string): Promise<string[]> {
  let text = '';
  try {
    text = await fsp.readFile(logFile, 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const rec = JSON.parse(line) as { level?: string; msg?: string };
      if (rec.level === 'error' || rec.level === 'fatal') out.push(rec.msg ?? line);
    } catch {
      out.push(line);
    }
  }
  return out;
}

class RuncExecutor implements Executor {
  private readonly cgroup = detectCgroupVersion();

  constructor(
    private readonly runc: string,
    private readonly stateDir: string,
    private readonly tmpDir: string,
  ) {}

  private runcArgs(...args: string[]): string[] {
    return ['--root', this.stateDir, ...args];
  }

  async run(req: ExecRequest, io: ExecIO, signal?: AbortSignal): Promise<ExecResult> {
    throwIfAborted(signal);
    // the id becomes part of paths (bundle, cgroups), so it is checked before any is made
    validateRequest(req);
    const started = Date.now();
    const bundle = await fsp.mkdtemp(path.join(this.tmpDir, `tsbuild-run-${req.id}-`));
    const cgroups = cgroupDirs(`tsbuild/${req.id}`, this.cgroup);
    let stubs: string[] = [];
    // --keep holds the container's cgroup after exit so its OOM counter can be read; that only
    // matters under a memory limit. Without it runc removes the container itself, which spares
    // a `runc delete` per step; the delete below then only runs when something went wrong.
    const keep = req.limits?.memoryBytes !== undefined;
    let cleanExit = false;
    try {
      const etcDir = path.join(bundle, 'etc');
      const spec = fitToHost(generateSpec(req, { cgroup: this.cgroup, etcDir }), await readHostGrant());
      await writeEtcFiles(etcDir, { hostname: req.hostname });
      await fsp.writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
      stubs = await missingMountPoints(
        req.rootfs,
        spec.mounts.map((m) => m.destination),
      );
      const logFile = path.join(bundle, 'runc-log.json');
      const outcome = await this.runContainer(req.id, { bundle, logFile, io, keep, ...(signal ? { signal } : {}) });
      // the cgroup survives until `runc delete` thanks to --keep, so the OOM counter is still readable
      const oom = keep ? await oomKilled(cgroups) : false;
      if (signal?.aborted) throw abortError(signal);
      const errors = await runtimeErrors(logFile);
      if (errors.length > 0 || outcome.code === null) {
        throw new TsbuildError('TSB3007', `runc failed to run container ${req.id}: ${errors.join('; ') || `runc killed by ${outcome.signal ?? 'a signal'}`}`, {
          detail: `command: ${JSON.stringify(req.args)}`,
        });
      }
      const sig = signalOf(outcome.code);
      cleanExit = !keep;
      return { exitCode: outcome.code, ...(sig ? { signal: sig } : {}), oomKilled: oom, durationMs: Date.now() - started };
    } finally {
      if (!cleanExit) await runCommand(this.runc, this.runcArgs('delete', '--force', req.id));
      await removeCgroupDirs(cgroups);
      await removeStubs(stubs).catch(() => undefined);
      await fsp.rm(bundle, { recursive: true, force: true });
    }
  }

  private runContainer(
    id: string,
    opts: { bundle: string; logFile: string; io: ExecIO; keep: boolean; signal?: AbortSignal },
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const args = this.runcArgs('--log', opts.logFile, '--log-format', 'json', 'run', ...(opts.keep ? ['--keep'] : []), '--bundle', opts.bundle, id);
    const child = spawn(this.runc, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => opts.io.stdout(d));
    child.stderr.on('data', (d: Buffer) => opts.io.stderr(d));
    let exited = false;

    const killLoop = async (): Promise<void> => {
      const deadline = Date.now() + 3000;
      while (!exited) {
        // fails harmlessly until runc has created the container
        await runCommand(this.runc, this.runcArgs('kill', id, 'KILL'));
        if (exited) return;
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const onAbort = (): void => {
      void killLoop();
    };

    return new Promise((resolve, reject) => {
      child.on('error', (e) => {
        exited = true;
        opts.signal?.removeEventListener('abort', onAbort);
        reject(new TsbuildError('TSB3007', `cannot start ${this.runc}: ${e.message}`, { cause: e }));
      });
      child.on('close', (code, sig) => {
        exited = true;
        opts.signal?.removeEventListener('abort', onAbort);
        resolve({ code, signal: sig });
      });
      if (opts.signal?.aborted) onAbort();
      else opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Finds runc and prepares its state directory. */
export async function createRuncExecutor(opts: RuncExecutorOptions): Promise<Executor> {
  const runc = findExecutable(opts.runtime ?? 'runc');
  if (!runc) throw new TsbuildError('TSB5003', 'runc not found: install it with `apt-get install runc`');
  await fsp.mkdir(opts.stateDir, { recursive: true, mode: 0o700 });
  await reapOrphans(runc, path.resolve(opts.stateDir));
  return new RuncExecutor(runc, path.resolve(opts.stateDir), opts.tmpDir ?? os.tmpdir());
}

/**
 * Containers of a tsbuild process that died without cleaning up (SIGKILL) would keep running:
 * their ids carry the owner's pid (`tsb-<pid>-…`), so the next executor kills and deletes them.
 */
export async function reapOrphans(runc: string, stateDir: string): Promise<string[]> {
  const listed = await runCommand(runc, ['--root', stateDir, 'list', '--quiet']);
  const reaped: string[] = [];
  for (const id of listed.stdout.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const owner = /^tsb-(\d+)-/.exec(id);
    if (!owner || pidAlive(Number(owner[1]))) continue;
    await runCommand(runc, ['--root', stateDir, 'kill', id, 'KILL']);
    await runCommand(runc, ['--root', stateDir, 'delete', '--force', id]);
    reaped.push(id);
  }
  return reaped;
}
