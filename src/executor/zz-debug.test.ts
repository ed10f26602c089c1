import { it } from 'vitest';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRuncExecutor } from './index.js';
it('dbg', async () => {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-dbg-'));
  const rootfs = path.join(base, 'rootfs');
  await fsp.mkdir(path.join(rootfs, 'bin'), { recursive: true });
  await fsp.copyFile('/bin/busybox', path.join(rootfs, 'bin/busybox'));
  await fsp.chmod(path.join(rootfs, 'bin/busybox'), 0o755);
  const exec = await createRuncExecutor({ stateDir: path.join(base, 'state') });
  let i = 0;
  const run = async (args: string[], over = {}) => {
    let out = ''; let err = '';
    const r = await exec.run({ id: `dbg-${++i}`, rootfs, args, env: ['PATH=/bin'], cwd: '/', uid: 0, gid: 0, additionalGids: [], hostname: 'h', network: 'none', mounts: [], ...over },
      { stdout: (b) => (out += b), stderr: (b) => (err += b) });
    console.log(JSON.stringify({ args, r, out, err }));
  };
  await run(['/bin/busybox', '--install', '-s', '/bin']);
  await run(['/bin/sh', '-c', 'set -- /proc/[0-9]*; echo "$#"; tr "\\0" " " < /proc/1/cmdline']);
  await run(['/bin/sh', '-c', 'ls /sys/class/net | sort | tr "\\n" " "'], { network: 'host' });
  await run(['/bin/sh', '-c', 'grep -E "^(Seccomp|CapEff|NoNewPrivs):" /proc/self/status']);
  await run(['/bin/sh', '-c', 'i=0; while [ $i -lt 200 ]; do sleep 30 & i=$((i+1)); done 2>/dev/null; set -- /proc/[0-9]*; echo $#'], { limits: { pids: 50 } });
  await fsp.rm(base, { recursive: true, force: true });
});
