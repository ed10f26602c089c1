// Paths inside a mounted rootfs, resolved as in a chroot (symlinks never lead outside it).
import { resolveWithin } from '../context/index.js';

export async function resolveInRoot(root: string, p: string): Promise<string> {
  return (await resolveWithin(root, p, { confine: 'chroot' })).abs;
}
