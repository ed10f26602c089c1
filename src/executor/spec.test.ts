// Golden tests of generateSpec (fixtures in testdata/; UPDATE_GOLDEN=1 rewrites them) plus targeted checks.
import { describe, it, expect } from 'vitest';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsbuildError } from '../core/index.js';
import { generateSpec, type ExecRequest } from './index.js';
import { defaultSeccompProfile } from './seccomp.js';

const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');

function request(over: Partial<ExecRequest> = {}): ExecRequest {
  return {
    id: 'step-1',
    rootfs: '/var/lib/tsbuild/mnt/step-1',
    args: ['/bin/sh', '-c', 'make install'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'],
    cwd: '/src',
    uid: 1000,
    gid: 1000,
    additionalGids: [10, 20],
    hostname: 'buildhost',
    network: 'none',
    mounts: [
      { destination: '/root/.cache', type: 'bind', source: '/var/lib/tsbuild/cache/go', options: ['rbind', 'rw'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=64m'] },
      { destination: '/run/secrets/token', type: 'bind', source: '/run/tsbuild/secret-1', options: ['rbind', 'ro'] },
    ],
    limits: { memoryBytes: 64 * 1024 * 1024, cpus: 1.5, pids: 50 },
    ...over,
  };
}

const cases: Array<{ name: string; req: ExecRequest; host: { cgroup: 'v1' | 'v2'; etcDir: string; arch: string } }> = [
  { name: 'default-v1-none', req: request(), host: { cgroup: 'v1', etcDir: '/tmp/tsbuild-run-step-1/etc', arch: 'x64' } },
  {
    name: 'host-network-v2',
    req: request({ id: 'step-2', network: 'host', uid: 0, gid: 0, additionalGids: [], mounts: [], limits: { memoryBytes: 1 << 30 } }),
    host: { cgroup: 'v2', etcDir: '/tmp/tsbuild-run-step-2/etc', arch: 'arm64' },
  },
  {
    name: 'insecure-v2',
    req: request({ id: 'step-3', network: 'host', uid: 0, gid: 0, additionalGids: [], mounts: [], limits: {}, insecure: true }),
    host: { cgroup: 'v2', etcDir: '/tmp/tsbuild-run-step-3/etc', arch: 'x64' },
  },
];

describe('generateSpec golden files', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const actual = `${JSON.stringify(generateSpec(c.req, c.host), null, 2)}\n`;
      const file = path.join(testdata, `${c.name}.json`);
      if (process.env.UPDATE_GOLDEN) await fsp.writeFile(file, actual);
      expect(actual).toBe(await fsp.readFile(file, 'utf8'));
    });
  }
});

describe('generateSpec details', () => {
  const host = { cgroup: 'v1' as const, etcDir: '/e', arch: 'x64' };

  it('isolates the network only when asked and adds a cgroup namespace on v2', () => {
    const ns = (r: ExecRequest, cg: 'v1' | 'v2') => generateSpec(r, { ...host, cgroup: cg }).linux.namespaces.map((n) => n.type);
    expect(ns(request(), 'v1')).toEqual(['pid', 'ipc', 'uts', 'mount', 'network']);
    expect(ns(request({ network: 'host' }), 'v1')).toEqual(['pid', 'ipc', 'uts', 'mount']);
    expect(ns(request({ network: 'host' }), 'v2')).toContain('cgroup');
  });

  it('puts the defaults first, then /etc files from etcDir, then the request mounts', () => {
    const m = generateSpec(request(), host).mounts.map((x) => `${x.destination}<${x.source}`);
    expect(m.slice(0, 7).map((x) => x.split('<')[0])).toEqual(['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup']);
    expect(m.slice(7, 10)).toEqual(['/etc/hosts</e/hosts', '/etc/resolv.conf</e/resolv.conf', '/etc/hostname</e/hostname']);
    expect(m.slice(10).map((x) => x.split('<')[0])).toEqual(['/root/.cache', '/tmp', '/run/secrets/token']);
  });

  it('turns limits into cgroup resources without swap', () => {
    const r = generateSpec(request({ limits: { memoryBytes: 1000, cpus: 0.5, pids: 7 } }), host).linux.resources;
    expect(r.memory).toEqual({ limit: 1000, swap: 1000 });
    expect(r.cpu).toEqual({ quota: 50000, period: 100000 });
    expect(r.pids).toEqual({ limit: 7 });
    expect(generateSpec(request({ limits: undefined }), host).linux.resources.memory).toBeUndefined();
  });

  it('drops confinement for insecure runs', () => {
    const s = generateSpec(request({ insecure: true }), host);
    expect(s.linux.seccomp).toBeUndefined();
    expect(s.linux.maskedPaths).toEqual([]);
    expect(s.process.capabilities.bounding).toContain('CAP_SYS_ADMIN');
    const d = generateSpec(request(), host);
    expect(d.process.capabilities.bounding).not.toContain('CAP_SYS_ADMIN');
    expect(d.process.noNewPrivileges).toBe(true);
    expect(d.linux.maskedPaths).toContain('/proc/kcore');
  });

  it('rejects malformed requests', () => {
    const code = (r: ExecRequest) => {
      try {
        generateSpec(r, host);
        return 'ok';
      } catch (e) {
        return e instanceof TsbuildError ? e.code : String(e);
      }
    };
    expect(code(request({ id: 'Bad_ID' }))).toBe('TSB3014');
    expect(code(request({ args: [] }))).toBe('TSB3014');
    expect(code(request({ cwd: 'relative' }))).toBe('TSB3014');
    expect(code(request({ limits: { pids: -1 } }))).toBe('TSB3014');
    expect(code(request())).toBe('ok');
  });
});

describe('default seccomp profile', () => {
  const allowed = (caps: string[], arch = 'x64') => new Set(defaultSeccompProfile(caps, arch).syscalls.find((s) => s.args === undefined && s.action === 'SCMP_ACT_ALLOW')?.names);

  it('denies namespace and mount syscalls unless CAP_SYS_ADMIN is held', () => {
    const base = allowed(['CAP_CHOWN', 'CAP_SYS_CHROOT']);
    for (const n of ['read', 'openat', 'pipe', 'pipe2', 'execve', 'chroot', 'arch_prctl', 'ptrace']) expect(base.has(n)).toBe(true);
    for (const n of ['mount', 'unshare', 'setns', 'reboot', 'kexec_load', 'init_module', 'clone', 'open_by_handle_at']) expect(base.has(n)).toBe(false);
    const admin = allowed(['CAP_SYS_ADMIN']);
    expect(admin.has('mount') && admin.has('clone') && admin.has('unshare')).toBe(true);
    expect(admin.has('chroot')).toBe(false);
  });

  it('restricts clone flags, clone3, socket families and personalities', () => {
    const p = defaultSeccompProfile([], 'x64');
    expect(p.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(p.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    expect(p.syscalls.find((s) => s.names[0] === 'clone')?.args).toEqual([{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]);
    expect(p.syscalls.find((s) => s.names[0] === 'clone3')).toMatchObject({ action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    const families = p.syscalls.filter((s) => s.names[0] === 'socket').map((s) => s.args?.[0]);
    expect(families).toContainEqual({ index: 0, value: 16, op: 'SCMP_CMP_EQ' });
    expect(families).not.toContainEqual({ index: 0, value: 40, op: 'SCMP_CMP_EQ' });
    expect(defaultSeccompProfile([], 's390x').syscalls.find((s) => s.names[0] === 'clone')?.args?.[0]?.index).toBe(1);
    expect(defaultSeccompProfile(['CAP_SYS_ADMIN'], 'x64').syscalls.some((s) => s.names[0] === 'clone3')).toBe(false);
  });
});
