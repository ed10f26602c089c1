// The example the README's quick start builds keeps building.
import { readlinkSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { have, repoRoot } from '../helpers/env.js';
import { tempDir, tsbuild } from '../helpers/cli.js';

describe.skipIf(!have('root', 'overlay', 'runc', 'busybox'))('examples/hello', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('builds with the quick start command', async () => {
    const out = path.join(t.dir, 'fs');
    const r = await tsbuild(['--root', path.join(t.dir, 'store'), 'build', '--build-context', 'busybox=/bin', '-t', 'hello:1', '-o', out, '--progress', 'plain', 'examples/hello'], { cwd: repoRoot });
    expect(r.code, r.stderr).toBe(0);
    expect(readlinkSync(path.join(out, 'bin', 'hello'))).toBe('/app/hello.sh');
    expect(readFileSync(path.join(out, 'app', 'hello.sh'), 'utf8')).toContain('GREETING');
    const inspect = JSON.parse((await tsbuild(['--root', path.join(t.dir, 'store'), 'image', 'inspect', 'hello:1'])).stdout) as { config: { config: { Cmd: string[]; Entrypoint: string[] } } };
    expect(inspect.config.config.Entrypoint).toEqual(['/bin/busybox', 'sh', '/app/hello.sh']);
    expect(inspect.config.config.Cmd).toEqual(['world']);
  });
});
