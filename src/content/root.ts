// Where the store lives: --root, TSBUILD_ROOT, /var/lib/tsbuild for root, else the XDG data dir.
import path from 'node:path';

export interface StoreRootOptions {
  root?: string;
  env: NodeJS.ProcessEnv;
  uid: number;
  home: string;
}

export function storeRoot(opts: StoreRootOptions): string {
  if (opts.root) return path.resolve(opts.root);
  const fromEnv = opts.env.TSBUILD_ROOT;
  if (fromEnv) return path.resolve(fromEnv);
  if (opts.uid === 0) return '/var/lib/tsbuild';
  // The XDG spec says relative values are invalid and must be ignored.
  const xdg = opts.env.XDG_DATA_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'tsbuild');
  return path.join(opts.home, '.local', 'share', 'tsbuild');
}
