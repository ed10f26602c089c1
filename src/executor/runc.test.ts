// Real container runs under runc with a busybox rootfs: exit codes, output, isolation, limits, abort, cleanup.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { busyboxPath, have } from '../../test/helpers/env.js';
import { TsbuildError } from '../core/index.js';
import { cgroupDirs } from './cgroup.js';
import { createRuncExecutor, type ExecRequest, type ExecResult, type Executor } from './index.js';

describe('createRuncExecutor', () => {
  it('reports a missing runtime with TSB5003', async () => {
    await expect(createRuncExecutor({ runtime: '/nonexistent/runc', stateDir: path.join(os.tmpdir(), 'tsb-never') })).rejects.toMatchObject({ code: 'TSB5003' });
  });
});

describe.skipIf(!have('root', 'runc', 'busybox'))('runc executor', () => {
  let base: string;
  let rootfs: string;
  let stateDir: string;
  let tmpDir: string;
  let exec: Executor;
  let n = 0;

  async function run(shell: string, over: Partial<ExecRequest> = {}, signal?: AbortSignal): Promise<ExecResult & { out: string; err: string; id: string }> {
    const id = `t${process.pid}-${++n}`;
    let out = '';
    let err = '';
    const res = await exec.run(
      {
        id,
        rootfs,
        args: ['/bin/sh', '-c', shell],
        env: ['PATH=/bin'],
        cwd: '/',
        uid: 0,
        gid: 0,
        additionalGids: [],
        hostname: 'tsb-test',
        network: 'none',
        mounts: [],
        ...over,
      },
      { stdout: (b) => (out += b.toString()), stderr: (b) => (err += b.toString()) },
      signal,
    );
    return { ...res, out, err, id };
  }

  async function runcList(): Promise<string> {
    return execFileSync('runc', ['--root', stateDir, 'list', '-q'], { encoding: 'utf8' }).trim();
  }

  beforeAll(async () => {
    base = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-exec-'));
    rootfs = path.join(base, 'rootfs');
    stateDir = path.join(base, 'state');
    tmpDir = path.join(base, 'tmp');
    await fsp.mkdir(path.join(rootfs, 'bin'), { recursive: true });
    await fsp.mkdir(tmpDir);
    await fsp.copyFile(busyboxPath, path.join(rootfs, 'bin', 'busybox'));
    await fsp.chmod(path.join(rootfs, 'bin', 'busybox'), 0o755);
    exec = await createRuncExecutor({ stateDir, tmpDir });
    const r = await exec.run(
      { id: `install-${process.pid}`, rootfs, args: ['/bin/busybox', '--install', '-s', '/bin'], env: [], cwd: '/', uid: 0, gid: 0, additionalGids: [], hostname: 'x', network: 'none', mounts: [] },
      { stdout: () => undefined, stderr: () => undefined },
    );
    expect(r.exitCode).toBe(0);
  });

  afterAll(async () => {
    if (base) await fsp.rm(base, { recursive: true, force: true });
  });

  it('propagates the exit code and streams stdout and stderr separately', async () => {
    const r = await run('echo out; echo err >&2; exit 3');
    expect(r).toMatchObject({ exitCode: 3, oomKilled: false, out: 'out\n', err: 'err\n' });
    expect(r.signal).toBeUndefined();
    expect((await run('true')).exitCode).toBe(0);
  });

  it('delivers output while the command is still running', async () => {
    let firstAt = 0;
    const started = Date.now();
    const res = await exec.run(
      { id: `stream-${process.pid}`, rootfs, args: ['/bin/sh', '-c', 'echo first; sleep 1; echo second'], env: ['PATH=/bin'], cwd: '/', uid: 0, gid: 0, additionalGids: [], hostname: 'x', network: 'none', mounts: [] },
      { stdout: () => (firstAt ||= Date.now()), stderr: () => undefined },
    );
    expect(res.exitCode).toBe(0);
    expect(firstAt - started).toBeLessThan(res.durationMs - 500);
  });

  it('reports death by signal', async () => {
    // the inner shell dies from SIGKILL and the outer one exits with its 128+9 status
    const direct = await run('sh -c "kill -KILL \\$\\$"; exit $?');
    expect(direct.exitCode).toBe(137);
    expect(direct.signal).toBe('SIGKILL');
  });

  it('runs the command as pid 1 and shows only the container processes', async () => {
    // the shell's own pid is 1; ls, wc and the shell are all there is
    const r = await run('echo $$; ls -d /proc/[0-9]* | wc -l; true');
    const [pid, count] = r.out.split('\n');
    expect(pid).toBe('1');
    expect(Number(count)).toBeGreaterThanOrEqual(2);
    expect(Number(count)).toBeLessThanOrEqual(3);
  });

  it('gives network none only a loopback device, and host the host devices', async () => {
    expect((await run('ls /sys/class/net')).out.trim()).toBe('lo');
    const host = (await fsp.readdir('/sys/class/net')).sort().join(' ');
    expect((await run('ls /sys/class/net | sort | tr "\\n" " "', { network: 'host' })).out.trim()).toBe(host);
  });

  it('sets hostname, /etc files, user and groups, and confinement', async () => {
    const r = await run('hostname; cat /etc/hostname; grep -c tsb-test /etc/hosts; id -u; id -g; id -G; grep -E "^(Seccomp|CapEff|NoNewPrivs):" /proc/self/status | tr -s "\\t " " "', {
      uid: 1000,
      gid: 1001,
      additionalGids: [10, 20],
    });
    const lines = r.out.trim().split('\n');
    expect(lines.slice(0, 6)).toEqual(['tsb-test', 'tsb-test', '1', '1000', '1001', '1001 10 20']);
    expect(lines).toContain('NoNewPrivs: 1');
    expect(lines).toContain('Seccomp: 2');
    const root = await run('grep -E "^CapEff:" /proc/self/status | tr -s "\\t " " "; cat /proc/kcore | head -c1 | wc -c; mount -t tmpfs x /mnt 2>/dev/null; echo mount=$?');
    expect(root.out.split('\n')).toEqual(['CapEff: 00000000a80425fb', '0', 'mount=1', '']);
    // insecure grants every capability this host holds
    const hostBnd = /^CapBnd:\s+(\S+)$/m.exec(await fsp.readFile('/proc/self/status', 'utf8'))?.[1];
    const insecure = await run('grep -E "^(Seccomp|CapEff):" /proc/self/status | tr -s "\\t " " "', { insecure: true });
    expect(insecure.out.split('\n')).toEqual([`CapEff: ${hostBnd ?? ''}`, 'Seccomp: 0', '']);
  });

  it('applies memory, cpu and pids limits in the container cgroup', async () => {
    const r = await run('cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/pids/pids.max', {
      limits: { memoryBytes: 64 * 1024 * 1024, cpus: 0.5, pids: 50 },
    });
    expect(r.out.split('\n')).toEqual(['67108864', '50000', '50', '']);
  });

  it('reports an OOM kill under a 64 MiB memory limit', async () => {
    const r = await run('tail -c 200000000 /dev/zero > /dev/null; echo tail=$?', { limits: { memoryBytes: 64 * 1024 * 1024 } });
    expect(r.oomKilled).toBe(true);
    expect(r.out).toBe('tail=137\n');
  });

  it('stops a fork loop at the pids limit', async () => {
    const started = Date.now();
    // a failed fork ends the subshell; the outer shell then counts processes with a builtin glob
    const r = await run('(i=0; while [ $i -lt 200 ]; do sleep 30 & i=$((i+1)); done; echo finished) 2>/dev/null; set -- /proc/[0-9]*; echo $#', { limits: { pids: 50 } });
    expect(r.out).not.toContain('finished');
    expect(Number(r.out.trim())).toBeLessThanOrEqual(50);
    expect(Number(r.out.trim())).toBeGreaterThan(10);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('aborts promptly and leaves no runc state, cgroup or mount behind', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stop')), 500);
    const started = Date.now();
    const id = `abort-${process.pid}`;
    await expect(
      exec.run({ id, rootfs, args: ['/bin/sleep', '100'], env: [], cwd: '/', uid: 0, gid: 0, additionalGids: [], hostname: 'x', network: 'none', mounts: [] }, { stdout: () => undefined, stderr: () => undefined }, ac.signal),
    ).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await runcList()).toBe('');
    expect(cgroupDirs(`tsbuild/${id}`).all.filter((d) => existsSync(d))).toEqual([]);
    const mountinfo = await fsp.readFile('/proc/self/mountinfo', 'utf8');
    expect(mountinfo.includes(base)).toBe(false);
    expect(await fsp.readdir(tmpDir)).toEqual([]);
  });

  it('removes the mount-point stubs it created, keeping dirs the command wrote into', async () => {
    const r = await run('echo hi > /etc/made-by-run; ls /mnt/cache/deep >/dev/null && echo ok', {
      mounts: [{ destination: '/mnt/cache/deep', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] }],
    });
    expect(r.out).toBe('ok\n');
    expect((await fsp.readdir(rootfs)).sort()).toEqual(['bin', 'etc']);
    expect(await fsp.readdir(path.join(rootfs, 'etc'))).toEqual(['made-by-run']);
    await fsp.rm(path.join(rootfs, 'etc'), { recursive: true });
    expect(await runcList()).toBe('');
    expect(await fsp.readdir(tmpDir)).toEqual([]);
    expect(cgroupDirs(`tsbuild/${r.id}`).all.filter((d) => existsSync(d))).toEqual([]);
  });

  it('turns a runtime failure into TSB3007', async () => {
    const err = await exec
      .run({ id: `fail-${process.pid}`, rootfs, args: ['/bin/does-not-exist'], env: [], cwd: '/', uid: 0, gid: 0, additionalGids: [], hostname: 'x', network: 'none', mounts: [] }, { stdout: () => undefined, stderr: () => undefined })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(TsbuildError);
    expect((err as TsbuildError).code).toBe('TSB3007');
    expect((err as TsbuildError).message).toContain('does-not-exist');
    expect(await runcList()).toBe('');
  });
});
