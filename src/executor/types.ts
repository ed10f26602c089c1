// Executor contract (requests, results) and the subset of the OCI runtime spec tsbuild generates.

export interface ExecMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface ExecRequest {
  /** Unique container id made by the caller: [a-z0-9-]. */
  id: string;
  /** An already-mounted, writable root directory. */
  rootfs: string;
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  hostname: string;
  /** none: own network namespace with only lo. */
  network: 'host' | 'none';
  /** Extra mounts (bind/tmpfs/secret files), added after the defaults. */
  mounts: ExecMount[];
  limits?: { memoryBytes?: number; cpus?: number; pids?: number };
  /** --security=insecure: all capabilities, no seccomp, no masked paths. */
  insecure?: boolean;
}

export interface ExecIO {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
}

export interface ExecResult {
  exitCode: number;
  /** Set when the process died from a signal (exit status 128+n as runc reports it). */
  signal?: string;
  oomKilled: boolean;
  durationMs: number;
}

/** Runs one process in a fresh container; rejects on runtime failures or abort, resolves with the exit status otherwise. */
export interface Executor {
  run(req: ExecRequest, io: ExecIO, signal?: AbortSignal): Promise<ExecResult>;
}

// ---- OCI runtime spec (config.json) subset ----

export interface SpecMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface SpecRlimit {
  type: string;
  hard: number;
  soft: number;
}

export interface SpecProcess {
  terminal: boolean;
  user: { uid: number; gid: number; umask?: number; additionalGids?: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
  rlimits: SpecRlimit[];
  noNewPrivileges: boolean;
}

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: 'SCMP_CMP_EQ' | 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_GT' | 'SCMP_CMP_GE' | 'SCMP_CMP_MASKED_EQ';
}

export interface SeccompSyscall {
  names: string[];
  action: 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';
  errnoRet?: number;
  args?: SeccompArg[];
}

export interface LinuxSeccomp {
  defaultAction: 'SCMP_ACT_ERRNO' | 'SCMP_ACT_ALLOW';
  defaultErrnoRet?: number;
  architectures: string[];
  syscalls: SeccompSyscall[];
}

export interface DeviceRule {
  allow: boolean;
  type?: 'a' | 'b' | 'c';
  major?: number;
  minor?: number;
  access: string;
}

export interface LinuxResources {
  devices: DeviceRule[];
  memory?: { limit: number; swap: number };
  cpu?: { quota: number; period: number };
  pids?: { limit: number };
}

export interface RuntimeSpec {
  ociVersion: string;
  process: SpecProcess;
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: SpecMount[];
  linux: {
    namespaces: Array<{ type: 'pid' | 'mount' | 'ipc' | 'uts' | 'network' | 'cgroup' }>;
    resources: LinuxResources;
    cgroupsPath: string;
    maskedPaths: string[];
    readonlyPaths: string[];
    seccomp?: LinuxSeccomp;
  };
}
