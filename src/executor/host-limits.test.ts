// fitToHost: lowering what the host cannot grant, leaving the rest of the spec untouched.
import { describe, it, expect } from 'vitest';
import { generateSpec, type ExecRequest } from './index.js';
import { fitToHost, readHostGrant } from './host-limits.js';

const req: ExecRequest = {
  id: 'x', rootfs: '/r', args: ['true'], env: [], cwd: '/', uid: 0, gid: 0, additionalGids: [], hostname: 'h', network: 'none', mounts: [], insecure: true,
};

describe('fitToHost', () => {
  it('caps NOFILE at the host hard limit and drops capabilities outside the bounding set', () => {
    const spec = generateSpec(req, { cgroup: 'v1', etcDir: '/e', arch: 'x64' });
    const fitted = fitToHost(spec, { nofileHard: 20000, capabilities: new Set(['CAP_CHOWN', 'CAP_SYS_ADMIN']) });
    expect(fitted.process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 }]);
    expect(fitted.process.capabilities.bounding).toEqual(['CAP_CHOWN', 'CAP_SYS_ADMIN']);
    expect(fitted.mounts).toEqual(spec.mounts);
    expect(fitToHost(spec, {})).toEqual(spec);
  });

  it('reads this process limits', async () => {
    const g = await readHostGrant();
    expect(g.nofileHard).toBeGreaterThan(0);
    expect(g.capabilities?.size ?? 0).toBeGreaterThan(0);
  });
});
