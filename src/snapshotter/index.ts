// Public face of the snapshotter module: the Snapshotter contract, its two implementations and mount helpers.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { TsbuildError } from '../core/index.js';
import { overlaySupported } from './detect.js';
import { FsSnapshotter } from './fs-snapshotter.js';
import { MetadataStore } from './metadata.js';
import type { Snapshotter } from './types.js';

export type { DiffSource, Snapshotter, SnapshotInfo, SnapshotKind } from './types.js';
export { mountAll, unmountAll, withMounts, isMountPoint, listMountPoints, compactOverlayOptions } from './mount.js';
export { overlaySupported } from './detect.js';

/**
 * Opens (creating if needed) a snapshot store under `root`. `auto` picks overlay when a test
 * mount works there as root, else native. Overlay and native stores must not share one root.
 */
export async function createSnapshotter(opts: { kind: 'overlay' | 'native' | 'auto'; root: string }): Promise<Snapshotter> {
  const root = path.resolve(opts.root);
  await fsp.mkdir(root, { recursive: true });
  let kind: 'overlay' | 'native';
  if (opts.kind === 'auto') {
    const recorded = (await new MetadataStore(root).read()).driver;
    kind = recorded ?? ((await overlaySupported(root)) ? 'overlay' : 'native');
  } else {
    kind = opts.kind;
    if (kind === 'overlay') {
      if (process.getuid?.() !== 0) throw new TsbuildError('TSB5001', 'the overlay snapshotter needs root; use the native snapshotter');
      if (!(await overlaySupported(root))) throw new TsbuildError('TSB5002', `overlayfs cannot be mounted on ${root}; use the native snapshotter`);
    }
  }
  const s = new FsSnapshotter(kind, root);
  await s.init();
  return s;
}
