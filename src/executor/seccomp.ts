// Builds the default seccomp profile for a capability set and architecture from the policy data.
import {
  ARCH_ALLOWED,
  BASE_ALLOWED,
  CAPABILITY_ALLOWED,
  CLONE_NAMESPACE_FLAGS,
  PERSONALITIES_ALLOWED,
  SECCOMP_ARCHES,
  SOCKET_FAMILIES_ALLOWED,
  eqArg,
} from './seccomp-data.js';
import type { LinuxSeccomp, SeccompSyscall } from './types.js';

const EPERM = 1;
const ENOSYS = 38;

/** Docker-equivalent default profile: deny with EPERM unless allowed for these capabilities. */
export function defaultSeccompProfile(capabilities: readonly string[], arch: string): LinuxSeccomp {
  const caps = new Set(capabilities);
  const allowed = new Set<string>([...BASE_ALLOWED, ...(ARCH_ALLOWED[arch] ?? [])]);
  for (const [cap, names] of Object.entries(CAPABILITY_ALLOWED)) {
    if (caps.has(cap)) for (const n of names) allowed.add(n);
  }
  const syscalls: SeccompSyscall[] = [{ names: [...allowed].sort(), action: 'SCMP_ACT_ALLOW' }];

  // rules on one syscall are OR-ed; arguments inside one rule are AND-ed
  const lowFamilies = SOCKET_FAMILIES_ALLOWED.filter((f) => f < 12);
  if (lowFamilies.length === 12) syscalls.push({ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 12, op: 'SCMP_CMP_LT' }] });
  for (const f of SOCKET_FAMILIES_ALLOWED) {
    if (f >= 12 || lowFamilies.length !== 12) syscalls.push({ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [eqArg(0, f)] });
  }
  for (const p of PERSONALITIES_ALLOWED) syscalls.push({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [eqArg(0, p)] });

  if (!caps.has('CAP_SYS_ADMIN')) {
    // s390 passes clone's flags as the second argument
    const index = arch === 's390x' ? 1 : 0;
    syscalls.push({ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] });
    // ENOSYS makes libc fall back to clone(2), whose flags can be inspected (clone3's are behind a pointer)
    syscalls.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
  }

  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    architectures: [...(SECCOMP_ARCHES[arch] ?? [])],
    syscalls,
  };
}
