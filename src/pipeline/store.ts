// Where each kind of state lives under the store root.
import path from 'node:path';

export interface StoreLayout {
  root: string;
  content: string;
  refs: string;
  snapshots: string;
  cacheMounts: string;
  logs: string;
  runc: string;
  tmp: string;
  statCache: string;
}

export function storeLayout(root: string): StoreLayout {
  const r = path.resolve(root);
  return {
    root: r,
    content: r,
    refs: path.join(r, 'refs'),
    snapshots: path.join(r, 'snapshots'),
    cacheMounts: path.join(r, 'cache-mounts'),
    logs: path.join(r, 'logs'),
    runc: path.join(r, 'runc'),
    tmp: path.join(r, 'tmp'),
    statCache: path.join(r, 'statcache'),
  };
}
