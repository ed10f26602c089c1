// `build -`: a tar (any compression) on stdin becomes the context, anything else a Dockerfile.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { contextFromTarOrDockerfile } from './index.js';

let base: string;
beforeEach(async () => {
  base = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-stdin-'));
});
afterEach(async () => {
  await fsp.rm(base, { recursive: true, force: true });
});

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const src = path.join(base, 'src');
  for (const [name, content] of Object.entries(files)) {
    await fsp.mkdir(path.dirname(path.join(src, name)), { recursive: true });
    await fsp.writeFile(path.join(src, name), content);
  }
  return execFileSync('tar', ['-cf', '-', '-C', src, '.']);
}

describe('contextFromTarOrDockerfile', () => {
  it('extracts a plain tar as the context', async () => {
    const tar = await tarOf({ Dockerfile: 'FROM scratch\n', 'app/main.js': 'x' });
    const out = await contextFromTarOrDockerfile(Readable.from([tar]), path.join(base, 'tmp'));
    expect(out.dockerfile).toBeUndefined();
    expect(await fsp.readFile(path.join(out.dir, 'app/main.js'), 'utf8')).toBe('x');
    expect(await fsp.readFile(path.join(out.dir, 'Dockerfile'), 'utf8')).toBe('FROM scratch\n');
    expect((await fsp.readdir(path.join(base, 'tmp'))).sort()).toEqual(['context']);
  });

  it('extracts a compressed tar', async () => {
    const tar = await tarOf({ 'a.txt': 'A' });
    const gz = execFileSync('gzip', ['-c'], { input: tar });
    const out = await contextFromTarOrDockerfile(Readable.from([gz]), path.join(base, 'tmp'));
    expect(await fsp.readFile(path.join(out.dir, 'a.txt'), 'utf8')).toBe('A');
  });

  it('treats anything else as a lone Dockerfile with an empty context', async () => {
    const text = 'FROM scratch\nCOPY x /\n';
    const out = await contextFromTarOrDockerfile(Readable.from([Buffer.from(text)]), path.join(base, 'tmp'));
    expect(out.dockerfile).toBe(path.join(base, 'tmp', 'Dockerfile'));
    expect(await fsp.readFile(out.dockerfile ?? '', 'utf8')).toBe(text);
    expect(await fsp.readdir(out.dir)).toEqual([]);
  });
});
