// Where a snapshot's files live under the storage root, and how each implementation mounts them.
import path from 'node:path';
import type { Mount } from '../core/index.js';

export interface Layout {
  root: string;
  snapshotsDir: string;
  trashDir: string;
}

export function layoutFor(root: string): Layout {
  return { root, snapshotsDir: path.join(root, 'snapshots'), trashDir: path.join(root, 'trash') };
}

export function snapshotDir(l: Layout, id: number): string {
  return path.join(l.snapshotsDir, String(id));
}

export function fsDir(l: Layout, id: number): string {
  return path.join(snapshotDir(l, id), 'fs');
}

export function workDir(l: Layout, id: number): string {
  return path.join(snapshotDir(l, id), 'work');
}

export function bindMount(source: string, readonly: boolean): Mount {
  return { type: 'bind', source, options: ['rbind', readonly ? 'ro' : 'rw'] };
}

/**
 * Overlay mounts as containerd computes them: no parent → bind of the empty upper dir; parents →
 * overlay with lowerdirs newest first. A view has no upper, so one parent is a read-only bind.
 */
export function overlayMounts(l: Layout, opts: { id: number; kind: 'active' | 'view'; parentIds: number[] }): Mount[] {
  const lowers = opts.parentIds.map((id) => fsDir(l, id));
  if (opts.kind === 'view') {
    const only = lowers[0];
    if (lowers.length === 0) return [bindMount(fsDir(l, opts.id), true)];
    if (lowers.length === 1 && only !== undefined) return [bindMount(only, true)];
    return [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${lowers.join(':')}`] }];
  }
  if (lowers.length === 0) return [bindMount(fsDir(l, opts.id), false)];
  return [
    {
      type: 'overlay',
      source: 'overlay',
      options: [`workdir=${workDir(l, opts.id)}`, `upperdir=${fsDir(l, opts.id)}`, `lowerdir=${lowers.join(':')}`],
    },
  ];
}

/** Native snapshots hold a full tree each; a view shares its (immutable) parent's tree read-only. */
export function nativeMounts(l: Layout, opts: { id: number; kind: 'active' | 'view'; parentIds: number[] }): Mount[] {
  const parent = opts.parentIds[0];
  if (opts.kind === 'view') return [bindMount(parent === undefined ? fsDir(l, opts.id) : fsDir(l, parent), true)];
  return [bindMount(fsDir(l, opts.id), false)];
}
