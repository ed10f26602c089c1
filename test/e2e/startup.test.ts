// The installed entry point: bin/tsbuild.js loads the bundle through a per-command V8 code cache.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
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
    expect(files[0]).toMatch(/^code-[0-9a-z]+-[0-9a-f]{24}-parse\.bin$/);
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

  it('never runs code cached for another build of the bundle, even one of the same size and mtime', () => {
    // A copy of the install, so the bundle can be rewritten the way a package upgrade would.
    const install = path.join(t.dir, 'install');
    mkdirSync(path.join(install, 'bin'), { recursive: true });
    mkdirSync(path.join(install, 'dist'));
    for (const f of ['tsbuild.js', 'package.json']) copyFileSync(path.join(path.dirname(cliPath), f), path.join(install, 'bin', f));
    copyFileSync(path.join(path.dirname(cliPath), '..', 'package.json'), path.join(install, 'package.json'));
    const bundle = path.join(install, 'dist', 'tsbuild.cjs');
    copyFileSync(path.join(path.dirname(cliPath), '..', 'dist', 'tsbuild.cjs'), bundle);
    // Package managers give every file the same whole-second mtime (npm: 1985-10-26).
    const npmTime = new Date('1985-10-26T08:15:00Z');
    utimesSync(bundle, npmTime, npmTime);
    const cache = path.join(t.dir, 'code-cache-upgrade');
    const help = () => spawnSync(process.execPath, [path.join(install, 'bin', 'tsbuild.js'), '--help'], { encoding: 'utf8', env: { ...process.env, TSBUILD_CODE_CACHE: cache } });
    const before = help();
    expect(before.stdout).toContain('print the version');
    writeFileSync(bundle, readFileSync(bundle, 'utf8').replace('"print the version"', '"print the VERSION"'));
    utimesSync(bundle, npmTime, npmTime);
    const after = help();
    expect(after.status, after.stderr).toBe(0);
    expect(after.stdout).toContain('print the VERSION');
  });

  it('writes no code cache when it is turned off', () => {
    const home = path.join(t.dir, 'home');
    const r = cli(['parse', '-f', dockerfile], { TSBUILD_CODE_CACHE: '0', HOME: home, XDG_CACHE_HOME: path.join(home, '.cache') });
    expect(r.status).toBe(0);
    expect(existsSync(path.join(home, '.cache'))).toBe(false);
  });
});
