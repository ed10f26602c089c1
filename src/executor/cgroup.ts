// Locates a container's cgroup directories the way runc does (relative paths hang below our own
// cgroup), reads the OOM-kill counter from them, and removes what runc left behind.
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';

export function detectCgroupVersion(): 'v1' | 'v2' {
  // on a unified (v2-only) host the root of /sys/fs/cgroup is itself a cgroup2 hierarchy
  return existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : 'v1';
}

interface Hierarchy {
  /** Controllers of a v1 hierarchy ("memory", "cpu,cpuacct", "name=systemd"); '' for cgroup2. */
  controllers: string;
  mountPoint: string;
  /** The part of the hierarchy the mount shows (not "/" inside a container). */
  mountRoot: string;
}

function knownControllers(): Set<string> {
  try {
    const names = readFileSync('/proc/cgroups', 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split('\t')[0] ?? '');
    return new Set(names);
  } catch {
    return new Set();
  }
}

function parseMountinfo(text: string): Hierarchy[] {
  const known = knownControllers();
  const out: Hierarchy[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    const mountRoot = left[3];
    const mountPoint = left[4];
    if (mountRoot === undefined || mountPoint === undefined) continue;
    if (fstype === 'cgroup2') out.push({ controllers: '', mountPoint, mountRoot });
    if (fstype === 'cgroup') {
      const names = superOpts.split(',').filter((o) => known.has(o) || o.startsWith('name='));
      out.push({ controllers: names.sort().join(','), mountPoint, mountRoot });
    }
  }
  return out;
}

export interface CgroupDirs {
  /** Every directory the container's cgroup occupies (one per v1 hierarchy, plus the unified one). */
  all: string[];
  /** Where the memory controller's files are, and in which format. */
  memory?: { dir: string; version: 'v1' | 'v2' };
}

/** The directories runc uses for the relative cgroups path `rel`, seen from this process. */
export function cgroupDirs(rel: string, version: 'v1' | 'v2' = detectCgroupVersion()): CgroupDirs {
  const hierarchies = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  const dirs: CgroupDirs = { all: [] };
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const controllers = (m[1] ?? '').split(',').filter(Boolean).sort().join(',');
    const own = m[2] ?? '/';
    const h = hierarchies.find((x) => x.controllers === controllers);
    if (!h) continue;
    const inside = path.posix.relative(h.mountRoot, own);
    const dir = path.join(h.mountPoint, inside.startsWith('..') ? '' : inside, rel);
    dirs.all.push(dir);
    if (controllers.split(',').includes('memory')) dirs.memory = { dir, version: 'v1' };
    if (controllers === '' && version === 'v2') dirs.memory = { dir, version: 'v2' };
  }
  return dirs;
}

function counter(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** True when the kernel's OOM killer fired inside the cgroup (must be read before the cgroup is removed). */
export async function oomKilled(dirs: CgroupDirs): Promise<boolean> {
  const mem = dirs.memory;
  if (!mem) return false;
  try {
    if (mem.version === 'v2') return counter(await fsp.readFile(path.join(mem.dir, 'memory.events'), 'utf8'), 'oom_kill') > 0;
    return counter(await fsp.readFile(path.join(mem.dir, 'memory.oom_control'), 'utf8'), 'oom_kill') > 0;
  } catch {
    return false;
  }
}

/** Removes the container's cgroup directories if runc left any (children first); never throws. */
export async function removeCgroupDirs(dirs: CgroupDirs): Promise<void> {
  for (const dir of dirs.all) {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await fsp.rmdir(dir);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        // EBUSY while the last tasks are still exiting
        await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
      }
    }
  }
}
