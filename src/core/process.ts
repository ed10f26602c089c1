// Who a process is, across pid reuse and reboots: for lock files and build leases written to disk.
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** What a lock or lease file records about the process that wrote it. */
export interface ProcessIdentity {
  pid: number;
  /** Start time from /proc/<pid>/stat (clock ticks since boot); '' where unknown. */
  start: string;
  boot: string;
  host: string;
}

function readProc(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export const bootId = readProc('/proc/sys/kernel/random/boot_id').trim();

/** State and start time of a process from /proc, or undefined where /proc has no entry. */
export function procStat(pid: number): { state: string; start: string } | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === '') return undefined;
  // The command name may contain spaces and parentheses, so fields are counted after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = rest[0];
  const start = rest[19];
  return state !== undefined && start !== undefined ? { state, start } : undefined;
}

export function currentProcess(): ProcessIdentity {
  return { pid: process.pid, start: procStat(process.pid)?.start ?? '', boot: bootId, host: os.hostname() };
}

/** Whether a plain pid still names a running process (no identity check). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Whether the process that wrote an identity still runs. One from another host cannot be judged
 * from here and counts as alive; a different boot, a zombie or a reused pid count as dead.
 */
export function processAlive(p: ProcessIdentity): boolean {
  if (p.host !== os.hostname()) return true;
  if (p.boot && bootId && p.boot !== bootId) return false;
  if (!pidAlive(p.pid)) return false;
  const st = procStat(p.pid);
  if (!st) return true;
  if (st.state === 'Z' || st.state === 'X') return false;
  return p.start === '' || st.start === p.start;
}
