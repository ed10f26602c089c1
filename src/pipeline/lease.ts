// Build leases: a running build says "I started at T"; GC spares everything created or used since.
// The files are tiny and read and written synchronously: a build takes and drops one on its critical path.
import { randomBytes } from 'node:crypto';
import { mkdirSync, promises as fsp, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { currentProcess, processAlive, writeFileVisible } from '../core/index.js';

/** What a lease file records; pid + process start time + boot id identify a process across pid reuse. */
export interface LeaseInfo {
  pid: number;
  /** Process start time in clock ticks since boot (/proc/<pid>/stat field 22), '' where unknown. */
  procStart: string;
  boot: string;
  host: string;
  /** Epoch milliseconds at which the build began; nothing it creates or uses is older. */
  started: number;
  /** The lease file. */
  file: string;
}

export interface Lease {
  readonly info: LeaseInfo;
  /** Removes the lease file; safe to call more than once. */
  release(): Promise<void>;
}

export function leasesDir(root: string): string {
  return path.join(path.resolve(root), 'leases');
}

/** Whether the process that wrote a lease still runs (a lease from another host counts as live). */
export function leaseAlive(l: Pick<LeaseInfo, 'pid' | 'procStart' | 'boot' | 'host'>): boolean {
  return processAlive({ pid: l.pid, start: l.procStart, boot: l.boot, host: l.host });
}

/** Takes a lease for the calling process, first clearing leases of processes that are gone. */
export async function acquireLease(root: string): Promise<Lease> {
  await liveLeases(root);
  const dir = leasesDir(root);
  const file = path.join(dir, `${process.pid}-${randomBytes(6).toString('hex')}.json`);
  const me = currentProcess();
  const info: LeaseInfo = { pid: me.pid, procStart: me.start, boot: me.boot, host: me.host, started: Date.now(), file };
  const { file: _file, ...body } = info;
  // Not fsync'd: a lease only matters while its process runs, and a crash ends that anyway.
  mkdirSync(dir, { recursive: true });
  await writeFileVisible(file, `${JSON.stringify(body)}\n`);
  let released = false;
  return {
    info,
    async release() {
      if (released) return;
      released = true;
      rmSync(file, { force: true });
    },
  };
}

function parseLease(raw: string, file: string): LeaseInfo | undefined {
  try {
    const v = JSON.parse(raw) as Partial<LeaseInfo>;
    if (typeof v.pid !== 'number' || typeof v.started !== 'number') return undefined;
    return { pid: v.pid, procStart: String(v.procStart ?? ''), boot: String(v.boot ?? ''), host: String(v.host ?? ''), started: v.started, file };
  } catch {
    return undefined;
  }
}

/**
 * Leases of running builds. Lease files of dead processes (and unreadable ones, which atomic
 * writes never produce) are removed on the way, so a build killed with SIGKILL holds nothing.
 */
export async function liveLeases(root: string): Promise<LeaseInfo[]> {
  const dir = leasesDir(root);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: LeaseInfo[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    if (!name.endsWith('.json') || name.startsWith('.')) {
      // Temp files of an interrupted atomic write: harmless once their writer is gone.
      const pid = Number(/-(\d+)-[0-9a-f]+$/.exec(name)?.[1]);
      if (name.startsWith('.tmp-') && Number.isInteger(pid) && !leaseAlive({ pid, procStart: '', boot: '', host: os.hostname() })) await fsp.rm(file, { force: true });
      continue;
    }
    let raw: string | undefined;
    try {
      raw = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const lease = parseLease(raw, file);
    if (lease && leaseAlive(lease)) out.push(lease);
    else await fsp.rm(file, { force: true });
  }
  return out;
}
