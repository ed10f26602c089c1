// End to end with a real registry: build and push with a cache export, then build FROM the pushed
// image in an empty store, and rebuild from the shared cache on a "fresh machine" executing no step.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRegistry, startRegistry, type TestRegistry } from '../../src/registry/testregistry.testutil.js';
import { busyboxPath, have } from '../helpers/env.js';
import { tempDir, tsbuild } from '../helpers/cli.js';

interface JsonEvent {
  type: string;
  status?: string;
  name?: string;
}

function events(stderr: string): JsonEvent[] {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as JsonEvent);
}

describe.skipIf(!(have('root', 'overlay', 'busybox') && haveRegistry()))('registry round trip', () => {
  const t = tempDir();
  const ctx = path.join(t.dir, 'ctx');
  let reg: TestRegistry;
  let host: string;

  beforeAll(async () => {
    reg = await startRegistry();
    host = reg.host;
    mkdirSync(path.join(ctx, 'src'), { recursive: true });
    copyFileSync(busyboxPath, path.join(ctx, 'busybox'));
    writeFileSync(path.join(ctx, 'src', 'app.txt'), 'v1\n');
    writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM scratch AS tools\nCOPY busybox /bin/busybox\n\nFROM scratch\nCOPY --from=tools /bin/busybox /bin/busybox\nCOPY src/ /app/\nENV MODE=prod\nCMD ["/bin/busybox","cat","/app/app.txt"]\n');
  });
  afterAll(async () => {
    await reg?.stop();
    t.cleanup();
  });

  it('pushes the image and the cache, builds FROM it elsewhere, and reuses the cache on an empty store', async () => {
    const image = `${host}/app:1`;
    const cacheRef = `${host}/app:cache`;
    const first = await tsbuild(['--root', path.join(t.dir, 'store1'), 'build', '-t', image, '--push', '--cache-to', `type=registry,ref=${cacheRef}`, '--progress', 'json', '--metadata-file', path.join(t.dir, 'm1.json'), '.'], { cwd: ctx });
    expect(first.code, first.stderr).toBe(0);
    const digest = (JSON.parse(readFileSync(path.join(t.dir, 'm1.json'), 'utf8')) as Record<string, string>)['containerimage.digest'];

    // An empty store: FROM the pushed image pulls it.
    const downstream = path.join(t.dir, 'downstream');
    mkdirSync(downstream);
    writeFileSync(path.join(downstream, 'extra.txt'), 'extra\n');
    writeFileSync(path.join(downstream, 'Dockerfile'), `FROM ${image}\nCOPY extra.txt /extra.txt\n`);
    const second = await tsbuild(['--root', path.join(t.dir, 'store2'), 'build', '-t', 'down:1', '--output', `type=oci,dest=${path.join(t.dir, 'down.tar')}`, '--progress', 'plain', '.'], { cwd: downstream });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(digest);
    const inspect = await tsbuild(['--root', path.join(t.dir, 'store2'), 'image', 'inspect', 'down:1']);
    const doc = JSON.parse(inspect.stdout) as { manifest: { layers: unknown[] }; config: { config: { Env: string[] } } };
    expect(doc.manifest.layers).toHaveLength(3);
    expect(doc.config.config.Env).toContain('MODE=prod');

    // A fresh machine with --cache-from executes no step of the unchanged build.
    const third = await tsbuild(['--root', path.join(t.dir, 'store3'), 'build', '-t', 'again:1', '--cache-from', `type=registry,ref=${cacheRef}`, '--progress', 'json', '--metadata-file', path.join(t.dir, 'm3.json'), '.'], { cwd: ctx });
    expect(third.code, third.stderr).toBe(0);
    const ev = events(third.stderr).filter((e) => e.type === 'step');
    expect(ev.filter((e) => e.status === 'started')).toEqual([]);
    expect(ev.filter((e) => e.status === 'cached').length).toBeGreaterThanOrEqual(4);
    const m3 = JSON.parse(readFileSync(path.join(t.dir, 'm3.json'), 'utf8')) as Record<string, string>;
    const m1 = JSON.parse(readFileSync(path.join(t.dir, 'm1.json'), 'utf8')) as Record<string, string>;
    // Same layers (the config differs only by its creation time).
    const l3 = JSON.parse((await tsbuild(['--root', path.join(t.dir, 'store3'), 'image', 'inspect', 'again:1'])).stdout) as { manifest: { layers: Array<{ digest: string }> } };
    expect(l3.manifest.layers.map((l) => l.digest)).toEqual(doc.manifest.layers.slice(0, 2).map((l) => (l as { digest: string }).digest));
    expect(m3['containerimage.digest']).toMatch(/^sha256:/);
    expect(m1['containerimage.digest']).toBe(digest);
  });

  it('pushes with --output type=image,push=true and type=registry, under several tags', async () => {
    const a = await tsbuild(['--root', path.join(t.dir, 'store6'), 'build', '--output', `type=image,name=${host}/other:a,push=true`, '--output', `type=registry,name=${host}/other:b`, '--progress', 'quiet', '.'], { cwd: ctx });
    expect(a.code, a.stderr).toBe(0);
    for (const tag of ['a', 'b']) {
      const pulled = await tsbuild(['--root', path.join(t.dir, `pull-${tag}`), 'pull', `${host}/other:${tag}`]);
      expect(pulled.code, pulled.stderr).toBe(0);
    }
  });

  it('round-trips the cache through a local directory, which does not grow', async () => {
    const dir = path.join(t.dir, 'cachedir');
    const a = await tsbuild(['--root', path.join(t.dir, 's4'), 'build', '--cache-to', `type=local,dest=${dir}`, '--progress', 'quiet', '.'], { cwd: ctx });
    expect(a.code, a.stderr).toBe(0);
    const b = await tsbuild(['--root', path.join(t.dir, 's5'), 'build', '--cache-from', `type=local,src=${dir}`, '--progress', 'json', '.'], { cwd: ctx });
    expect(b.code, b.stderr).toBe(0);
    expect(events(b.stderr).filter((e) => e.type === 'step' && e.status === 'started')).toEqual([]);
    // Change a file: the new export replaces the old cache; blobs no longer used are removed.
    const count = (): number => readdirSync(path.join(dir, 'blobs', 'sha256')).length;
    const before = count();
    for (let i = 0; i < 3; i++) {
      writeFileSync(path.join(ctx, 'src', 'app.txt'), `v${i + 2}\n`);
      const c = await tsbuild(['--root', path.join(t.dir, 's4'), 'build', '--cache-to', `type=local,dest=${dir}`, '--progress', 'quiet', '.'], { cwd: ctx });
      expect(c.code, c.stderr).toBe(0);
    }
    expect(count()).toBe(before);
  });
});
