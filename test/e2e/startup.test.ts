// The installed entry point: bin/tsbuild.js loads the bundle through a per-command V8 code cache.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { cliPath, ensureDist } from '../helpers/dist.js';

const pkgVersion = (JSON.parse(readFileSync(path.join(path.dirname(cliPath), '..', 'package.json'), 'utf8')) as { version: string }).version;

function cli(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('bin/tsbuild.js', () => {
  let t: { dir: string; cleanup: () => void };
  let dockerfile: string;
  beforeAll(() => {
    ensureDist();
    t = tempDir();
    dockerfile = path.join(t.dir, 'Dockerfile');
    writeFileSync(dockerfile, 'FROM scratch\nCOPY a /a\nCMD ["/a"]\n');
  });
  afterAll(() => t.cleanup());

  it('runs commands from the bundle and reports the package version', () => {
    const r = cli(['version'], { TSBUILD_CODE_CACHE: '0' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`tsbuild ${pkgVersion}`);
  });

  it('keeps one code cache per command, and a corrupt one is replaced without changing the result', () => {
    const cache = path.join(t.dir, 'code-cache');
    const first = cli(['parse', '--json', '-f', dockerfile], { TSBUILD_CODE_CACHE: cache });
    expect(first.status, first.stderr).toBe(0);
    const files = readdirSync(cache);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^code-[0-9a-z]+-[0-9a-z.]+-parse\.bin$/);
    const file = path.join(cache, files[0] ?? '');
    const good = readFileSync(file);
    expect(good.length).toBeGreaterThan(1000);

    const again = cli(['parse', '--json', '-f', dockerfile], { TSBUILD_CODE_CACHE: cache });
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(first.stdout);

    writeFileSync(file, Buffer.alloc(good.length, 7));
    const afterCorruption = cli(['parse', '--json', '-f', dockerfile], { TSBUILD_CODE_CACHE: cache });
    expect(afterCorruption.status, afterCorruption.stderr).toBe(0);
    expect(afterCorruption.stdout).toBe(first.stdout);
    expect(readFileSync(file).equals(Buffer.alloc(good.length, 7))).toBe(false);

    const other = cli(['version'], { TSBUILD_CODE_CACHE: cache });
    expect(other.status).toBe(0);
    expect(readdirSync(cache).sort()).toEqual([files[0], expect.stringMatching(/-cli\.bin$/)].sort());
  });

  it('writes no code cache when it is turned off', () => {
    const home = path.join(t.dir, 'home');
    const r = cli(['parse', '-f', dockerfile], { TSBUILD_CODE_CACHE: '0', HOME: home, XDG_CACHE_HOME: path.join(home, '.cache') });
    expect(r.status).toBe(0);
    expect(existsSync(path.join(home, '.cache'))).toBe(false);
  });
});
