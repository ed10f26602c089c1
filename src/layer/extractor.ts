// Writes tar entries into a destination directory safely; shared by layer apply and ADD extraction.
import { constants } from 'node:fs';
import { link, mkdir, open, readdir, readlink, rm, symlink, lchown, lutimes, chmod, utimes, chown } from 'node:fs/promises';
import path from 'node:path';
import { TsbuildError, throwIfAborted } from '../core/index.js';
import { confinedTarget, entryParts, lstatOrUndefined, resolveDir, unsafe } from './safe-path.js';
import { makeNode, setXattr } from './fs-ops.js';
import type { TarEntry } from './tar-read.js';
import type { TarHeader } from './tar-format.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';
/** The only xattr restored from archives: others could smuggle overlay or LSM metadata. */
const RESTORED_XATTRS = new Set(['security.capability']);

export interface ExtractorOptions {
  root: string;
  /** plain: whiteouts delete; overlay: whiteouts become overlay markers; none: kept as files. */
  whiteouts: 'plain' | 'overlay' | 'none';
  sameOwner: boolean;
  chown?: { uid: number; gid: number };
  signal?: AbortSignal;
}

interface DirMeta {
  mode: number;
  mtime: number;
}

export class Extractor {
  /** Root-relative paths written by this archive (an opaque marker keeps these). */
  private readonly written = new Set<string>();
  /** Directory modes and mtimes, applied at the end so writing children does not disturb them. */
  private readonly dirs = new Map<string, DirMeta>();
  private readonly isRoot = process.getuid?.() === 0;
  entries = 0;

  constructor(private readonly o: ExtractorOptions) {}

  async add(e: TarEntry): Promise<void> {
    throwIfAborted(this.o.signal);
    const h = e.header;
    const parts = entryParts(h.name);
    this.entries++;
    const base = parts.pop();
    if (base === undefined) {
      if (h.type !== 'dir') throw new TsbuildError('TSB3102', `entry '${h.name}' names the root but is not a directory`);
      await this.owner(this.o.root, h, false);
      this.dirs.set('', { mode: h.mode, mtime: h.mtime });
      return;
    }
    if (this.o.whiteouts !== 'none' && base.startsWith(WHITEOUT_PREFIX)) return this.whiteout(h.name, parts, base);
    const onCreate = (rel: string): void => void this.written.add(rel);
    const real = await resolveDir(this.o.root, parts, h.name, { create: true, onCreate });
    if (!real) throw new TsbuildError('TSB3102', `cannot create parent directory of '${h.name}'`);
    const dir = path.join(this.o.root, ...real);
    const abs = path.join(dir, base);
    const rel = [...real, base].join('/');
    const existing = await lstatOrUndefined(abs);
    if (h.type === 'dir') {
      if (existing && !existing.isDirectory()) await this.remove(rel);
      if (!existing?.isDirectory()) await mkdir(abs, { mode: 0o700 });
      await this.owner(abs, h, false);
      await this.xattrs(abs, h);
      this.dirs.set(rel, { mode: h.mode, mtime: h.mtime });
      this.written.add(rel);
      return;
    }
    if (h.type === 'link') {
      const target = await this.linkTarget(h);
      if (target === abs) return;
      if (existing) await this.remove(rel);
      await link(target, abs);
      this.written.add(rel);
      return;
    }
    if (existing) await this.remove(rel);
    switch (h.type) {
      case 'file':
        await this.writeFile(abs, e);
        break;
      case 'symlink':
        await symlink(h.linkname, abs);
        await this.owner(abs, h, true);
        await lutimes(abs, h.mtime, h.mtime);
        break;
      case 'char':
      case 'block':
      case 'fifo':
        // Device nodes need CAP_MKNOD; unprivileged extraction skips them as other tools do.
        if (h.type !== 'fifo' && !this.isRoot) return;
        await makeNode(dir, base, { kind: h.type, major: h.devmajor, minor: h.devminor }, this.o.signal);
        await this.owner(abs, h, false);
        await chmod(abs, h.mode);
        await utimes(abs, h.mtime, h.mtime);
        break;
    }
    this.written.add(rel);
  }

  /** Applies directory modes and mtimes once every child is in place. */
  async finish(): Promise<void> {
    for (const [rel, meta] of this.dirs) {
      const abs = path.join(this.o.root, rel);
      const st = await lstatOrUndefined(abs);
      if (!st?.isDirectory()) continue;
      await chmod(abs, meta.mode);
      await utimes(abs, meta.mtime, meta.mtime);
    }
  }

  private async writeFile(abs: string, e: TarEntry): Promise<void> {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const fh = await open(abs, flags, 0o600);
    try {
      for await (const chunk of e.body) {
        throwIfAborted(this.o.signal);
        for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off)).bytesWritten;
      }
      const own = this.ownerOf(e.header);
      if (own) await fh.chown(own.uid, own.gid);
      // chmod after chown: chown clears setuid/setgid bits.
      await fh.chmod(e.header.mode);
      await this.xattrs(abs, e.header);
      await fh.utimes(e.header.mtime, e.header.mtime);
    } finally {
      await fh.close();
    }
  }

  private ownerOf(h: TarHeader): { uid: number; gid: number } | undefined {
    if (this.o.chown) return this.o.chown;
    return this.o.sameOwner ? { uid: h.uid, gid: h.gid } : undefined;
  }

  private async owner(abs: string, h: TarHeader, isLink: boolean): Promise<void> {
    const own = this.ownerOf(h);
    if (!own) return;
    if (isLink) await lchown(abs, own.uid, own.gid);
    else await chown(abs, own.uid, own.gid);
  }

  private async xattrs(abs: string, h: TarHeader): Promise<void> {
    if (!this.isRoot) return;
    for (const [name, value] of h.xattrs) {
      if (RESTORED_XATTRS.has(name)) await setXattr(abs, name, value, this.o.signal);
    }
  }

  /** Resolves a hard link target inside the root; links to escaping symlinks are refused. */
  private async linkTarget(h: TarHeader): Promise<string> {
    let parts: string[];
    try {
      parts = entryParts(h.linkname);
    } catch {
      throw unsafe(h.name, `hard link target '${h.linkname}' is outside the destination`);
    }
    const base = parts.pop();
    if (base === undefined) throw unsafe(h.name, 'hard link to the root directory');
    const real = await resolveDir(this.o.root, parts, h.name, { create: false });
    const target = real && path.join(this.o.root, ...real, base);
    const st = target === undefined ? undefined : await lstatOrUndefined(target);
    if (!real || !target || !st) {
      throw new TsbuildError('TSB3102', `hard link '${h.name}' points to '${h.linkname}', which is not in the archive`);
    }
    if (st.isDirectory()) throw new TsbuildError('TSB3102', `hard link '${h.name}' points to the directory '${h.linkname}'`);
    if (st.isSymbolicLink() && !confinedTarget(real, await readlink(target))) {
      throw unsafe(h.name, `hard link to '${h.linkname}', a symlink leading outside the destination`);
    }
    return target;
  }

  private async whiteout(name: string, parts: string[], base: string): Promise<void> {
    const onCreate = (rel: string): void => void this.written.add(rel);
    const create = this.o.whiteouts === 'overlay';
    const real = await resolveDir(this.o.root, parts, name, { create, onCreate });
    if (!real) return;
    const dir = path.join(this.o.root, ...real);
    if (base === OPAQUE_MARKER) {
      if (this.o.whiteouts === 'overlay') await setXattr(dir, OVERLAY_OPAQUE_XATTR, Buffer.from('y'), this.o.signal);
      else await this.removeUnwritten(real.join('/'));
      return;
    }
    const victim = base.slice(WHITEOUT_PREFIX.length);
    if (victim === '' || victim === '.' || victim === '..' || victim.startsWith(WHITEOUT_PREFIX)) {
      throw unsafe(name, 'malformed whiteout');
    }
    const rel = [...real, victim].join('/');
    await this.remove(rel);
    if (this.o.whiteouts === 'overlay') {
      await makeNode(dir, victim, { kind: 'char', major: 0, minor: 0 }, this.o.signal);
      this.written.add(rel);
    }
  }

  /** Removes a path (never following a symlink) and forgets pending metadata beneath it. */
  private async remove(rel: string): Promise<void> {
    await rm(path.join(this.o.root, rel), { recursive: true, force: true });
    this.written.delete(rel);
    const prefix = `${rel}/`;
    for (const k of this.dirs.keys()) if (k === rel || k.startsWith(prefix)) this.dirs.delete(k);
  }

  /** Opaque directory in a full tree: drop everything that did not come from this archive. */
  private async removeUnwritten(relDir: string): Promise<void> {
    const abs = path.join(this.o.root, relDir);
    for (const name of await readdir(abs)) {
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      if (!this.written.has(rel)) await this.remove(rel);
      else if ((await lstatOrUndefined(path.join(abs, name)))?.isDirectory()) await this.removeUnwritten(rel);
    }
  }
}
