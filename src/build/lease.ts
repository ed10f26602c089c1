// Build leases: a running build says "I started at T"; GC spares everything created or used since.
import { randomBytes } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../core/index.js';

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

function readProc(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

const bootId = readProc('/proc/sys/kernel/random/boot_id').trim();

function procStat(pid: number): { state: string; start: string } | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === '') return undefined;
  // The command name may contain spaces and parentheses, so fields are counted after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = rest[0];
  const start = rest[19];
  return state !== undefined && start !== undefined ? { state, start } : undefined;
}

export function leasesDir(root: string): string {
  return path.join(path.resolve(root), 'leases');
}

/** Whether the process that wrote a lease still runs (a lease from another host counts as live). */
export function leaseAlive(l: Pick<LeaseInfo, 'pid' | 'procStart' | 'boot' | 'host'>): boolean {
  if (l.host !== os.hostname()) return true;
  if (l.boot && bootId && l.boot !== bootId) return false;
  if (!Number.isInteger(l.pid) || l.pid <= 0) return false;
  try {
    process.kill(l.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const st = procStat(l.pid);
  if (!st) return true;
  if (st.state === 'Z' || st.state === 'X') return false;
  return l.procStart === '' || st.start === l.procStart;
}

/** Takes a lease for the calling process, first clearing leases of processes that are gone. */
export async function acquireLease(root: string): Promise<Lease> {
  await liveLeases(root);
  const dir = leasesDir(root);
  const file = path.join(dir, `${process.pid}-${randomBytes(6).toString('hex')}.json`);
  const info: LeaseInfo = {
    pid: process.pid, procStart: procStat(process.pid)?.start ?? '', boot: bootId, host: os.hostname(), started: Date.now(), file,
  };
  const { file: _file, ...body } = info;
  await writeFileAtomic(file, `${JSON.stringify(body)}\n`);
  let released = false;
  return {
    info,
    async release() {
      if (released) return;
      released = true;
      await fsp.rm(file, { force: true });
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
    names = await fsp.readdir(dir);
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
    const raw = await fsp.readFile(file, 'utf8').catch(() => undefined);
    if (raw === undefined) continue;
    const lease = parseLease(raw, file);
    if (lease && leaseAlive(lease)) out.push(lease);
    else await fsp.rm(file, { force: true });
  }
  return out;
}
