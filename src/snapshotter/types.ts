// The snapshotter contract: snapshot kinds, metadata and the lifecycle every implementation follows.
import type { Mount } from '../core/index.js';

export type DiffSource = { kind: 'overlay'; upper: string; lowers: string[] } | { kind: 'compare'; lower?: string; upper: string };

export type SnapshotKind = 'active' | 'committed' | 'view';

export interface SnapshotInfo {
  key: string;
  parent?: string;
  kind: SnapshotKind;
  /** ISO 8601 creation time. */
  created: string;
  labels?: Record<string, string>;
}

/**
 * Stores filesystem snapshots as a tree and hands out how to mount them as plain data.
 *
 * Lifecycle:
 * - `prepare(key, parent?)` creates an *active* (writable) snapshot on top of a *committed* parent
 *   (or empty) and returns the mounts that make its tree visible.
 * - `view(key, parent?)` creates a read-only *view* of a committed parent (or an empty tree).
 * - `commit(name, key)` turns the active snapshot `key` into the committed snapshot `name`;
 *   afterwards `key` no longer exists, and `name` may be used as a parent.
 * - `remove(key)` deletes a snapshot of any kind that no other snapshot uses as parent.
 *
 * Active snapshots left behind by a crash are ordinary active snapshots: `walk` lists them and
 * `remove` deletes them. Several processes may share one storage root.
 * The caller mounts and unmounts; the snapshotter never keeps anything mounted.
 */
export interface Snapshotter {
  readonly name: 'overlay' | 'native';
  prepare(key: string, parent?: string, opts?: { labels?: Record<string, string> }): Promise<Mount[]>;
  view(key: string, parent?: string): Promise<Mount[]>;
  /** The mounts of an existing active snapshot or view. */
  mounts(key: string): Promise<Mount[]>;
  commit(name: string, key: string): Promise<void>;
  remove(key: string): Promise<void>;
  stat(key: string): Promise<SnapshotInfo | undefined>;
  walk(fn: (info: SnapshotInfo) => void | Promise<void>): Promise<void>;
  /** Space and inodes used by this snapshot's own layer (not its parents). */
  usage(key: string): Promise<{ size: number; inodes: number }>;
  /**
   * What the layer differ needs for an active snapshot: overlay → its upper dir and the parents'
   * dirs (newest first, as overlay stacks them); native → the parent's tree and this tree, to compare.
   */
  diffSource(key: string): Promise<DiffSource>;
  /** Where a layer tar is applied for a freshly prepared snapshot, and in which format (overlay: whiteouts as 0/0 char devices into the upper dir; plain: a full tree). */
  applyTarget(key: string): Promise<{ dir: string; format: 'overlay' | 'plain' }>;
}
