// Tests for RefStore: set/get/delete/list, crash-safe file contents, concurrent writers in several processes.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256, type Descriptor } from '../core/index.js';
import { RefStore } from './index.js';
import { compiledModules } from './child.testutil.js';

let root: string;
beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-refs-'));
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

const desc = (s: string): Descriptor => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(s), size: s.length });

describe('RefStore', () => {
  it('sets, gets, lists sorted and deletes references', async () => {
    const refs = new RefStore(root);
    expect(await refs.get('docker.io/library/a:1')).toBeUndefined();
    await refs.set('docker.io/library/b:1', desc('b'));
    await refs.set('docker.io/library/a:1', desc('a'));
    await refs.set('docker.io/library/b:1', desc('b2'));
    expect(await refs.get('docker.io/library/b:1')).toEqual(desc('b2'));
    expect((await refs.list()).map((e) => e.name)).toEqual(['docker.io/library/a:1', 'docker.io/library/b:1']);
    expect(await new RefStore(root).get('docker.io/library/a:1')).toEqual(desc('a'));
    expect(await refs.delete('docker.io/library/a:1')).toBe(true);
    expect(await refs.delete('docker.io/library/a:1')).toBe(false);
    expect((await refs.list()).map((e) => e.name)).toEqual(['docker.io/library/b:1']);
    expect(await fsp.readdir(root)).toEqual(['refs.json']);
  });

  it('does not rewrite the file when a name is set to the image it already names', async () => {
    const refs = new RefStore(root);
    await refs.set('docker.io/library/a:1', desc('a'));
    const file = path.join(root, 'refs.json');
    const before = await fsp.stat(file);
    await refs.set('docker.io/library/a:1', desc('a'));
    const same = await fsp.stat(file);
    expect([same.ino, same.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    await refs.set('docker.io/library/a:1', desc('a2'));
    expect((await fsp.stat(file)).ino).not.toBe(before.ino);
    expect(await refs.get('docker.io/library/a:1')).toEqual(desc('a2'));
  });

  it('reports a corrupt refs file as TSB4005', async () => {
    await fsp.writeFile(path.join(root, 'refs.json'), '{"version":1,"refs":{"x":{"digest":"nope"}}}');
    await expect(new RefStore(root).list()).rejects.toMatchObject({ code: 'TSB4005' });
    await fsp.writeFile(path.join(root, 'refs.json'), '{trunc');
    await expect(new RefStore(root).get('x')).rejects.toMatchObject({ code: 'TSB4005' });
  });

  it('loses no update when several processes write concurrently', async () => {
    const env = await compiledModules();
    try {
      const script = await env.script(
        'refs.mjs',
        `import { RefStore } from './src/content/index.js';
const [root, who] = process.argv.slice(2);
const refs = new RefStore(root);
for (let i = 0; i < 15; i++) {
  await refs.set(\`example.com/\${who}:\${i}\`, { mediaType: 'm', digest: 'sha256:' + '0'.repeat(64), size: i });
}
`,
      );
      const runs = ['p', 'q', 'r'].map((who) => {
        const c = spawn(process.execPath, [script, root, who], { stdio: 'inherit' });
        return new Promise<number | null>((r) => c.once('exit', r));
      });
      expect(await Promise.all(runs)).toEqual([0, 0, 0]);
      const names = (await new RefStore(root).list()).map((e) => e.name);
      expect(names.length).toBe(45);
      expect(names).toContain('example.com/q:14');
    } finally {
      await env.cleanup();
    }
  });
});
