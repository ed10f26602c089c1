// Environment gates for tests: on CI a missing requirement fails the test run, elsewhere the
// tests that need it are skipped with the reason printed.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type Requirement = 'root' | 'overlay' | 'runc' | 'skopeo' | 'umoci' | 'podman' | 'busybox' | 'shared';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedDir = path.resolve(repoRoot, '../shared');
export const busyboxPath = '/bin/busybox';

function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function missing(req: Requirement): string | undefined {
  switch (req) {
    case 'root':
      return process.getuid?.() === 0 ? undefined : 'not running as root';
    case 'overlay':
      try {
        return readFileSync('/proc/filesystems', 'utf8').includes('overlay') ? undefined : 'overlayfs not in /proc/filesystems';
      } catch {
        return 'cannot read /proc/filesystems';
      }
    case 'busybox':
      return existsSync(busyboxPath) ? undefined : `${busyboxPath} missing (apt-get install busybox-static)`;
    case 'shared':
      return existsSync(path.join(sharedDir, 'buildkit-parser-testfiles')) ? undefined : `${sharedDir}/buildkit-parser-testfiles not present`;
    default:
      return onPath(req) ? undefined : `${req} not found on PATH`;
  }
}

/**
 * Returns true when every requirement is met. Otherwise: on CI throws (a test that must run
 * there may not silently skip); elsewhere prints the reason and returns false, so the caller
 * can use `describe.skipIf(!have(...))`.
 */
export function have(...reqs: Requirement[]): boolean {
  const reasons = reqs.map(missing).filter((r): r is string => r !== undefined);
  if (reasons.length === 0) return true;
  if (process.env.CI) throw new Error(`test requirement missing on CI: ${reasons.join('; ')}`);
  console.warn(`skipping: ${reasons.join('; ')}`);
  return false;
}
