// Writes the per-run /etc/hosts, /etc/resolv.conf and /etc/hostname that are bind-mounted into the container.
import { promises as fsp } from 'node:fs';
import path from 'node:path';

export async function writeEtcFiles(dir: string, opts: { hostname: string; resolvConf?: string }): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  let resolv = '';
  try {
    resolv = await fsp.readFile(opts.resolvConf ?? '/etc/resolv.conf', 'utf8');
  } catch {
    // a host without resolv.conf still gets an (empty) file so the mount point is the same
  }
  const hosts = `127.0.0.1\tlocalhost ${opts.hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`;
  await Promise.all([
    fsp.writeFile(path.join(dir, 'hosts'), hosts, { mode: 0o644 }),
    fsp.writeFile(path.join(dir, 'resolv.conf'), resolv, { mode: 0o644 }),
    fsp.writeFile(path.join(dir, 'hostname'), `${opts.hostname}\n`, { mode: 0o644 }),
  ]);
}
