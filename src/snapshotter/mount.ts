// Applies Mount data to a directory with mount(8)/umount(8), and the temporary-mountpoint helper.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TsbuildError, throwIfAborted, type Mount } from '../core/index.js';
import { runCommand } from '../core/index.js';

/** mount(2) copies at most one page of option data. */
const OPTION_LIMIT = 4095;
/** Above this size, overlay lowerdirs are rewritten relative to their common directory. */
const COMPACT_THRESHOLD = 3072;

function commonDir(dirs: string[]): string {
  const split = dirs.map((d) => path.resolve(d).split(path.sep));
  const first = split[0] ?? [];
  let n = first.length;
  for (const parts of split) {
    let i = 0;
    while (i < n && parts[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join(path.sep) || path.sep;
}

/**
 * Long lowerdir lists overflow mount(2)'s one-page option buffer; running mount(8) inside the
 * layers' common directory lets each lowerdir be a short relative path.
 */
export function compactOverlayOptions(options: string[]): { options: string[]; cwd?: string } {
  const joined = options.join(',');
  const idx = options.findIndex((o) => o.startsWith('lowerdir='));
  const lowerOpt = options[idx];
  if (joined.length <= COMPACT_THRESHOLD || lowerOpt === undefined) return { options };
  const lowers = lowerOpt.slice('lowerdir='.length).split(':');
  if (!lowers.every((l) => path.isAbsolute(l))) return { options };
  const cwd = commonDir(lowers.map((l) => path.dirname(l)));
  const rel = lowers.map((l) => path.relative(cwd, l));
  const out = [...options];
  out[idx] = `lowerdir=${rel.join(':')}`;
  return { options: out, cwd };
}

function mountArgs(m: Mount, target: string): { args: string[]; cwd?: string } {
  if (m.type === 'bind') {
    const opts = m.options.includes('bind') || m.options.includes('rbind') ? m.options : ['bind', ...m.options];
    return { args: ['-o', opts.join(','), m.source, target] };
  }
  const { options, cwd } = m.type === 'overlay' ? compactOverlayOptions(m.options) : { options: m.options };
  const args = ['-t', m.type];
  if (options.length > 0) args.push('-o', options.join(','));
  args.push(m.source, target);
  return cwd === undefined ? { args } : { args, cwd };
}

/** Mounts each entry on `target` in order (later ones stack on earlier ones). */
export async function mountAll(mounts: Mount[], target: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
  const done: Mount[] = [];
  for (const m of mounts) {
    throwIfAborted(opts.signal);
    const { args, cwd } = mountArgs(m, target);
    const optionText = args[args.indexOf('-o') + 1] ?? '';
    if (optionText.length > OPTION_LIMIT) {
      throw new TsbuildError('TSB3013', `mount options for ${target} are ${optionText.length} bytes, over the ${OPTION_LIMIT}-byte limit`);
    }
    const r = await runCommand('mount', args, cwd === undefined ? {} : { cwd });
    if (r.spawnError?.code === 'ENOENT') throw new TsbuildError('TSB5006', 'mount(8) not found: install util-linux');
    if (r.code !== 0) {
      if (done.length > 0) await unmountAll(target);
      throw new TsbuildError('TSB3013', `mount -t ${m.type} ${m.source} on ${target} failed: ${(r.stderr || r.spawnError?.message || '').trim()}`, {
        detail: `mount ${args.join(' ')}${cwd ? ` (in ${cwd})` : ''}`,
      });
    }
    done.push(m);
  }
}

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Mount points currently listed in /proc/self/mountinfo. */
export async function listMountPoints(): Promise<string[]> {
  const text = await fsp.readFile('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const mp = line.split(' ')[4];
    if (mp !== undefined) out.push(unescapeMountinfo(mp));
  }
  return out;
}

async function canonical(p: string): Promise<string> {
  try {
    return await fsp.realpath(p);
  } catch {
    return path.resolve(p);
  }
}

export async function isMountPoint(dir: string): Promise<boolean> {
  const target = await canonical(dir);
  return (await listMountPoints()).includes(target);
}

/** Unmounts everything stacked on `target` (and below it); lazily as a last resort. Never throws if nothing is mounted. */
export async function unmountAll(target: string): Promise<void> {
  const dir = await canonical(target);
  for (let attempt = 0; attempt < 50 && (await isMountPoint(dir)); attempt++) {
    const r = await runCommand('umount', ['-R', dir]);
    if (r.code === 0) continue;
    if (attempt < 3) {
      await new Promise((res) => setTimeout(res, 50 * (attempt + 1)));
      continue;
    }
    const lazy = await runCommand('umount', ['-l', dir]);
    if (lazy.code !== 0 && (await isMountPoint(dir))) {
      throw new TsbuildError('TSB3013', `cannot unmount ${dir}: ${(lazy.stderr || r.stderr).trim()}`);
    }
  }
}

/** Mounts `mounts` on a fresh temporary directory, runs `fn` with it, then unmounts and removes it. */
export async function withMounts<T>(mounts: Mount[], fn: (dir: string) => Promise<T>, opts: { signal?: AbortSignal; tmpDir?: string } = {}): Promise<T> {
  const dir = await fsp.mkdtemp(path.join(opts.tmpDir ?? os.tmpdir(), 'tsbuild-mnt-'));
  try {
    await mountAll(mounts, dir, opts.signal ? { signal: opts.signal } : {});
    try {
      return await fn(dir);
    } finally {
      await unmountAll(dir);
    }
  } finally {
    await fsp.rmdir(dir).catch(() => undefined);
  }
}
