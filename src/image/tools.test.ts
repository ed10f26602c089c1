// Interoperability with real tools (skopeo, umoci, podman): they read what we write, we read what they write.
import { execFileSync } from 'node:child_process';
import { createWriteStream, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { have } from '../../test/helpers/env.js';
import { ContentStore } from '../content/index.js';
import { parseReference, readArchive, validateImage, writeDockerArchive, writeOciLayout, writeOciTar, type ImageManifest } from './index.js';
import { makeTestImage, type TestImage } from './testimage.testutil.js';

let tmp: string;
let store: ContentStore;
let img: TestImage;
let layout: string;

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
  }
}

async function toFile(name: string, write: (out: Writable) => Promise<void>): Promise<string> {
  const file = path.join(tmp, name);
  await write(createWriteStream(file));
  return file;
}

async function configDigestOf(content: ContentStore, manifest: { digest: `sha256:${string}` }): Promise<string> {
  return (await content.readJson<ImageManifest>(manifest.digest)).config.digest;
}

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-tools-'));
  store = new ContentStore(path.join(tmp, 'store'));
  img = await makeTestImage(store, { layers: [{ 'hello.txt': 'hello from tsbuild\n' }, { 'etc/motd': 'second layer\n' }] });
  layout = path.join(tmp, 'layout');
  await writeOciLayout(layout, { content: store, manifests: [{ descriptor: img.manifest, refName: 'tsbtest:1' }] });
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!have('skopeo'))('skopeo', () => {
  it('inspects our OCI layout', () => {
    const out = JSON.parse(run('skopeo', ['inspect', `oci:${layout}:1`])) as { Digest: string; Layers: string[]; Architecture: string; Os: string };
    expect(out.Digest).toBe(img.manifest.digest);
    expect(out.Layers).toEqual(img.layers.map((l) => l.digest));
    expect(out.Os).toBe('linux');
    const raw = JSON.parse(run('skopeo', ['inspect', '--config', '--raw', `oci:${layout}:1`])) as { rootfs: { diff_ids: string[] } };
    expect(raw.rootfs.diff_ids).toEqual(img.diffIds);
  });

  it('reads our OCI tar and docker archive', async () => {
    const ociTar = await toFile('skopeo-oci.tar', (out) => writeOciTar(out, { content: store, manifests: [{ descriptor: img.manifest, refName: 'tsbtest:1' }] }));
    const fromOciTar = JSON.parse(run('skopeo', ['inspect', `oci-archive:${ociTar}:1`])) as { Digest: string };
    expect(fromOciTar.Digest).toBe(img.manifest.digest);
    const docker = await toFile('skopeo-docker.tar', (out) => writeDockerArchive(out, { content: store, images: [{ manifest: img.manifest, repoTags: ['tsbtest:1'] }] }));
    const fromDocker = JSON.parse(run('skopeo', ['inspect', '--config', '--raw', `docker-archive:${docker}`])) as { rootfs: { diff_ids: string[] } };
    expect(fromDocker.rootfs.diff_ids).toEqual(img.diffIds);
  });

  it('we import the docker-archive and OCI archive skopeo writes from our layout', async () => {
    const dockerFile = path.join(tmp, 'from-skopeo-docker.tar');
    run('skopeo', ['copy', '-q', `oci:${layout}:1`, `docker-archive:${dockerFile}:tsbtest:1`]);
    const dst = new ContentStore(path.join(tmp, 'import-docker'));
    const got = await readArchive(dockerFile, { content: dst });
    expect(got).toHaveLength(1);
    const [image] = got;
    if (!image) throw new Error('nothing imported');
    await validateImage(dst, image.manifest);
    expect(await configDigestOf(dst, image.manifest)).toBe(img.config.digest);
    expect(image.refNames.map((n) => parseReference(n).toString())).toEqual(['docker.io/library/tsbtest:1']);

    const ociFile = path.join(tmp, 'from-skopeo-oci.tar');
    run('skopeo', ['copy', '-q', `oci:${layout}:1`, `oci-archive:${ociFile}:v9`]);
    const dst2 = new ContentStore(path.join(tmp, 'import-oci'));
    const [fromOci] = await readArchive(ociFile, { content: dst2 });
    expect(fromOci?.manifest.digest).toBe(img.manifest.digest);
    expect(fromOci?.refNames).toEqual(['v9']);
  });
});

describe.skipIf(!have('umoci', 'root'))('umoci', () => {
  it('unpacks our layout into a bundle with the layer files', async () => {
    const bundle = path.join(tmp, 'bundle');
    run('umoci', ['unpack', '--image', `${layout}:1`, bundle]);
    expect(await fsp.readFile(path.join(bundle, 'rootfs', 'hello.txt'), 'utf8')).toBe('hello from tsbuild\n');
    expect(await fsp.readFile(path.join(bundle, 'rootfs', 'etc', 'motd'), 'utf8')).toBe('second layer\n');
  });
});

describe.skipIf(!have('podman', 'root'))('podman', () => {
  let podmanArgs: string[];
  beforeAll(async () => {
    const p = path.join(tmp, 'podman');
    podmanArgs = ['--root', path.join(p, 'root'), '--runroot', path.join(p, 'run'), '--storage-driver', 'vfs', '--events-backend', 'none', '--cgroup-manager', 'cgroupfs'];
  });
  afterAll(() => {
    // vfs layers are plain directories, removed with tmp; nothing is mounted.
  });
  const podman = (...args: string[]): string => run('podman', [...podmanArgs, ...args]);
  const imageId = (ref: string): string => podman('image', 'inspect', '--format', '{{.Id}}', ref).trim();

  it('loads our docker archive', async () => {
    const file = await toFile('podman-docker.tar', (out) => writeDockerArchive(out, { content: store, images: [{ manifest: img.manifest, repoTags: ['localhost/tsbtest:docker'] }] }));
    podman('load', '-q', '-i', file);
    expect(imageId('localhost/tsbtest:docker')).toBe(img.config.digest.slice(7));
  });

  it('loads our OCI tar', async () => {
    const file = await toFile('podman-oci.tar', (out) => writeOciTar(out, { content: store, manifests: [{ descriptor: img.manifest, refName: 'localhost/tsbtest:oci' }] }));
    const out = podman('load', '-i', file);
    expect(out).toMatch(/Loaded image/);
    expect(podman('images', '-q', '--no-trunc')).toContain(img.config.digest.slice(7));
  });

  it('we import what podman save writes (docker-archive and oci-archive)', async () => {
    for (const format of ['docker-archive', 'oci-archive']) {
      const file = path.join(tmp, `podman-save-${format}.tar`);
      podman('save', '--format', format, '-o', file, 'localhost/tsbtest:docker');
      const dst = new ContentStore(path.join(tmp, `import-${format}`));
      const [image] = await readArchive(file, { content: dst });
      if (!image) throw new Error(`nothing imported from ${format}`);
      await validateImage(dst, image.manifest);
      expect(await configDigestOf(dst, image.manifest)).toBe(img.config.digest);
    }
  });
});
