// Pure OCI runtime spec generation for one RUN step, following Docker's and BuildKit's defaults.
import path from 'node:path';
import { TsbuildError } from '../core/index.js';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES, MASKED_PATHS, NOFILE_LIMIT, READONLY_PATHS, defaultDeviceRules, defaultMounts } from './defaults.js';
import { defaultSeccompProfile } from './seccomp.js';
import type { ExecRequest, LinuxResources, RuntimeSpec, SpecMount } from './types.js';

export interface SpecHost {
  cgroup: 'v1' | 'v2';
  /** Directory holding the hosts, resolv.conf and hostname files for this run. */
  etcDir: string;
  /** Node-style architecture name for the seccomp filter; defaults to this machine's. */
  arch?: string;
}

const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,127}$/;
const CPU_PERIOD = 100_000;

function invalid(req: ExecRequest, what: string): TsbuildError {
  return new TsbuildError('TSB3014', `exec request ${req.id || '(no id)'}: ${what}`);
}

/** Throws TSB3014 for a request that cannot be run (bad id, relative paths, bad ids or limits). */
export function validateRequest(req: ExecRequest): void {
  if (!ID_PATTERN.test(req.id)) throw invalid(req, `id "${req.id}" must match [a-z0-9][a-z0-9-]*`);
  if (!path.isAbsolute(req.rootfs)) throw invalid(req, `rootfs "${req.rootfs}" must be an absolute path`);
  if (req.args.length === 0) throw invalid(req, 'args must not be empty');
  if (!path.posix.isAbsolute(req.cwd)) throw invalid(req, `cwd "${req.cwd}" must be an absolute path`);
  for (const id of [req.uid, req.gid, ...req.additionalGids]) {
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw invalid(req, `uid/gid ${id} is not a valid id`);
  }
  for (const m of req.mounts) {
    if (!path.posix.isAbsolute(m.destination)) throw invalid(req, `mount destination "${m.destination}" must be absolute`);
  }
  const l = req.limits ?? {};
  for (const [name, v] of Object.entries(l)) {
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw invalid(req, `limit ${name}=${String(v)} must be a positive number`);
  }
}

function resources(req: ExecRequest, insecure: boolean): LinuxResources {
  const r: LinuxResources = { devices: insecure ? [{ allow: true, access: 'rwm' }] : defaultDeviceRules() };
  const l = req.limits ?? {};
  // swap equal to the limit means memory+swap may not exceed it: no swapping
  if (l.memoryBytes !== undefined) r.memory = { limit: Math.floor(l.memoryBytes), swap: Math.floor(l.memoryBytes) };
  if (l.cpus !== undefined) r.cpu = { quota: Math.max(1000, Math.round(l.cpus * CPU_PERIOD)), period: CPU_PERIOD };
  if (l.pids !== undefined) r.pids = { limit: Math.floor(l.pids) };
  return r;
}

function etcMounts(etcDir: string): SpecMount[] {
  return ['hosts', 'resolv.conf', 'hostname'].map((name) => ({
    destination: `/etc/${name}`,
    type: 'bind',
    source: path.join(etcDir, name),
    options: ['rbind', 'rw'],
  }));
}

/** The config.json for running `req`; pure, so the same request always gives the same spec. */
export function generateSpec(req: ExecRequest, host: SpecHost): RuntimeSpec {
  validateRequest(req);
  const insecure = req.insecure === true;
  const caps = [...(insecure ? ALL_CAPABILITIES : DEFAULT_CAPABILITIES)];
  const namespaces: RuntimeSpec['linux']['namespaces'] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (req.network === 'none') namespaces.push({ type: 'network' });
  // Docker's default: a private cgroup namespace on v2, the host's on v1
  if (host.cgroup === 'v2') namespaces.push({ type: 'cgroup' });

  const spec: RuntimeSpec = {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: req.uid, gid: req.gid, umask: 0o022, additionalGids: [...req.additionalGids] },
      args: [...req.args],
      env: [...req.env],
      cwd: req.cwd,
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: NOFILE_LIMIT, soft: NOFILE_LIMIT }],
      noNewPrivileges: !insecure,
    },
    root: { path: req.rootfs, readonly: false },
    hostname: req.hostname,
    mounts: [...defaultMounts({ writableSys: insecure }), ...etcMounts(host.etcDir), ...req.mounts.map((m) => ({ ...m, options: [...m.options] }))],
    linux: {
      namespaces,
      resources: resources(req, insecure),
      cgroupsPath: `tsbuild/${req.id}`,
      maskedPaths: insecure ? [] : [...MASKED_PATHS],
      readonlyPaths: insecure ? [] : [...READONLY_PATHS],
    },
  };
  if (!insecure) spec.linux.seccomp = defaultSeccompProfile(caps, host.arch ?? process.arch);
  return spec;
}
