// Round trips through every writer and readArchive, determinism, layout merging, platforms, validation.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Descriptor } from '../core/index.js';
import { ContentStore } from '../content/index.js';
import {
  Annotation,
  MediaType,
  readArchive,
  resolveOciLayout,
  validateImage,
  writeDockerArchive,
  writeOciLayout,
  writeOciTar,
  type ImageIndex,
  type ImageManifest,
} from './index.js';
import { writeTar } from './tarwrite.js';
import { makeTestImage, makeTestIndex } from './testimage.testutil.js';

let tmp: string;
let src: ContentStore;
let dst: ContentStore;

beforeEach(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-image-'));
  src = new ContentStore(path.join(tmp, 'src'));
  dst = new ContentStore(path.join(tmp, 'dst'));
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function toFile(name: string, write: (out: Writable) => Promise<void>): Promise<string> {
  const file = path.join(tmp, name);
  await write(createWriteStream(file));
  return file;
}

async function fileSha(file: string): Promise<string> {
  return createHash('sha256').update(await fsp.readFile(file)).digest('hex');
}

describe('archive round trips', () => {
  it('OCI layout directory → readArchive gives the same manifest, valid in the new store', async () => {
    const img = await makeTestImage(src);
    const dir = path.join(tmp, 'layout');
    await writeOciLayout(dir, { content: src, manifests: [{ descriptor: img.manifest, refName: 'example.com/app:1' }] });
    const index = JSON.parse(await fsp.readFile(path.join(dir, 'index.json'), 'utf8')) as ImageIndex;
    expect(index.manifests[0]?.annotations?.[Annotation.refName]).toBe('1');
    expect(JSON.parse(await fsp.readFile(path.join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const got = await readArchive(dir, { content: dst });
    expect(got.map((g) => g.manifest.digest)).toEqual([img.manifest.digest]);
    expect(got[0]?.refNames).toEqual(['example.com/app:1']);
    await validateImage(dst, img.manifest);
  });

  it('OCI tar (plain and gzip-compressed) → readArchive gives the same manifest', async () => {
    const img = await makeTestImage(src, { layers: [{ 'a.txt': 'a' }, { 'b/c.txt': 'c' }] });
    const file = await toFile('oci.tar', (out) => writeOciTar(out, { content: src, manifests: [{ descriptor: img.manifest, refName: 'latest' }] }));
    const got = await readArchive(file, { content: dst });
    expect(got).toEqual([{ manifest: expect.objectContaining({ digest: img.manifest.digest }), refNames: ['latest'] }]);
    await validateImage(dst, img.manifest);

    const gz = path.join(tmp, 'oci.tar.gz');
    await pipeline(createReadStream(file), createGzip(), createWriteStream(gz));
    const dst2 = new ContentStore(path.join(tmp, 'dst2'));
    expect((await readArchive(gz, { content: dst2 }))[0]?.manifest.digest).toBe(img.manifest.digest);
  });

  it('docker archive of uncompressed layers → readArchive gives the same manifest', async () => {
    const img = await makeTestImage(src, { compression: 'none', layers: [{ 'x.txt': 'x' }, { 'y.txt': 'y' }] });
    const file = await toFile('docker.tar', (out) => writeDockerArchive(out, { content: src, images: [{ manifest: img.manifest, repoTags: ['docker.io/library/app:1', 'example.com/t/app:2'] }] }));
    const got = await readArchive(file, { content: dst });
    expect(got.map((g) => g.manifest.digest)).toEqual([img.manifest.digest]);
    expect(got[0]?.refNames).toEqual(['app:1', 'example.com/t/app:2']);
    await validateImage(dst, img.manifest);
  });

  it('docker archive of gzip and zstd layers keeps the config and stores uncompressed layers', async () => {
    for (const compression of ['gzip', 'zstd'] as const) {
      const img = await makeTestImage(src, { compression, layers: [{ 'x.txt': compression }, { 'y.txt': 'y' }] });
      const file = await toFile(`docker-${compression}.tar`, (out) => writeDockerArchive(out, { content: src, images: [{ manifest: img.manifest, repoTags: ['app:1'] }] }));
      const [got] = await readArchive(file, { content: dst });
      if (!got) throw new Error('no image read');
      await validateImage(dst, got.manifest);
      const m = await dst.readJson<ImageManifest>(got.manifest.digest);
      expect(m.config.digest).toBe(img.config.digest);
      expect(m.layers.map((l) => l.digest)).toEqual(img.diffIds);
      expect(m.layers.every((l) => l.mediaType === MediaType.ociLayer)).toBe(true);
    }
  });

  it('imports docker archives whose layer.tar files are gzip-compressed', async () => {
    const img = await makeTestImage(src, { compression: 'gzip', layers: [{ 'g.txt': 'g' }] });
    const hex = (d: string): string => d.slice(7);
    const layer = await src.readBuffer(img.layers[0]?.digest ?? img.manifest.digest);
    const config = await src.readBuffer(img.config.digest);
    const entries = Buffer.from(JSON.stringify([{ Config: `${hex(img.config.digest)}.json`, RepoTags: ['gz:1'], Layers: ['abc/layer.tar'] }]));
    const file = await toFile('gz-docker.tar', (out) =>
      writeTar(out, [
        { name: 'manifest.json', size: entries.length, open: () => entries },
        { name: `${hex(img.config.digest)}.json`, size: config.length, open: () => config },
        { name: 'abc/layer.tar', size: layer.length, open: () => layer },
      ]),
    );
    const [got] = await readArchive(file, { content: dst });
    expect(got?.manifest.digest).toBe(img.manifest.digest);
    expect(got?.refNames).toEqual(['gz:1']);
    await validateImage(dst, img.manifest);
  });

  it('follows symlinked layer.tar files as docker save writes them for repeated layers', async () => {
    const img = await makeTestImage(src, { compression: 'none', layers: [{ 'same.txt': 's' }, { 'same.txt': 's' }] });
    const hex = (d: string): string => d.slice(7);
    const dir = path.join(tmp, 'links');
    await fsp.mkdir(path.join(dir, 'abc'), { recursive: true });
    await fsp.mkdir(path.join(dir, 'def'));
    await fsp.writeFile(path.join(dir, 'abc', 'layer.tar'), await src.readBuffer(img.layers[0]?.digest ?? img.manifest.digest));
    await fsp.symlink('../abc/layer.tar', path.join(dir, 'def', 'layer.tar'));
    await fsp.writeFile(path.join(dir, `${hex(img.config.digest)}.json`), await src.readBuffer(img.config.digest));
    await fsp.writeFile(path.join(dir, 'manifest.json'), JSON.stringify([{ Config: `${hex(img.config.digest)}.json`, RepoTags: null, Layers: ['abc/layer.tar', 'def/layer.tar'] }]));
    const file = path.join(tmp, 'links.tar');
    execFileSync('tar', ['-cf', file, '-C', dir, '.']);
    const [got] = await readArchive(file, { content: dst });
    expect(got?.manifest.digest).toBe(img.manifest.digest);
    expect(got?.refNames).toEqual([]);
  });

  it('writes docker archives in the legacy layout docker and podman load', async () => {
    const img = await makeTestImage(src);
    const file = await toFile('d.tar', (out) => writeDockerArchive(out, { content: src, images: [{ manifest: img.manifest, repoTags: ['busybox'] }] }));
    const dir = path.join(tmp, 'x');
    await fsp.mkdir(dir);
    execFileSync('tar', ['-xf', file, '-C', dir]);
    const manifest = JSON.parse(await fsp.readFile(path.join(dir, 'manifest.json'), 'utf8')) as unknown;
    const hex = (d: string): string => d.slice(7);
    expect(manifest).toEqual([{ Config: `${hex(img.config.digest)}.json`, RepoTags: ['busybox:latest'], Layers: [`${hex(img.diffIds[0] ?? '')}/layer.tar`] }]);
    expect(JSON.parse(await fsp.readFile(path.join(dir, 'repositories'), 'utf8'))).toEqual({ busybox: { latest: hex(img.diffIds[0] ?? '') } });
  });

  it('writes byte-identical tars for the same image', async () => {
    const img = await makeTestImage(src, { layers: [{ 'z.txt': 'z', 'a.txt': 'a' }] });
    const opts = { content: src, manifests: [{ descriptor: img.manifest, refName: 'v1' }] };
    const a = await toFile('a.tar', (out) => writeOciTar(out, opts));
    const b = await toFile('b.tar', (out) => writeOciTar(out, opts));
    expect(await fileSha(a)).toBe(await fileSha(b));
    const dopts = { content: src, images: [{ manifest: img.manifest, repoTags: ['app:1'] }] };
    const c = await toFile('c.tar', (out) => writeDockerArchive(out, dopts));
    const d = await toFile('d.tar', (out) => writeDockerArchive(out, dopts));
    expect(await fileSha(c)).toBe(await fileSha(d));
  });

  it('merges into an existing layout, replacing entries with the same ref name', async () => {
    const a = await makeTestImage(src, { layers: [{ 'a.txt': 'a' }] });
    const b = await makeTestImage(src, { layers: [{ 'b.txt': 'b' }] });
    const a2 = await makeTestImage(src, { layers: [{ 'a.txt': 'a2' }] });
    const dir = path.join(tmp, 'merge');
    await writeOciLayout(dir, { content: src, manifests: [{ descriptor: a.manifest, refName: 'a' }] });
    await writeOciLayout(dir, { content: src, manifests: [{ descriptor: b.manifest, refName: 'b' }] });
    await writeOciLayout(dir, { content: src, manifests: [{ descriptor: a2.manifest, refName: 'a' }] });
    const index = JSON.parse(await fsp.readFile(path.join(dir, 'index.json'), 'utf8')) as ImageIndex;
    const byRef = Object.fromEntries(index.manifests.map((d) => [d.annotations?.[Annotation.refName], d.digest]));
    expect(byRef).toEqual({ a: a2.manifest.digest, b: b.manifest.digest });
    expect((await resolveOciLayout(dir, { tag: 'a' })).manifest.digest).toBe(a2.manifest.digest);
    expect(await fsp.readdir(path.join(dir, 'blobs', 'sha256'))).not.toContainEqual(expect.stringMatching(/^\.tmp/));
  });
});

describe('writer failures', () => {
  it('rejects (without hanging) when the output fails or the signal aborts', async () => {
    const img = await makeTestImage(src, { compression: 'none', layers: [{ 'big.bin': 'x'.repeat(3_000_000) }] });
    let written = 0;
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        written += chunk.length;
        cb(written > 100_000 ? new Error('disk full') : null);
      },
    });
    await expect(writeOciTar(out, { content: src, manifests: [{ descriptor: img.manifest }] })).rejects.toThrow('disk full');
    const ac = new AbortController();
    const slow = new Writable({
      write(_chunk: Buffer, _enc, cb) {
        setTimeout(cb, 5);
      },
    });
    setTimeout(() => ac.abort(), 30);
    await expect(writeDockerArchive(slow, { content: src, images: [{ manifest: img.manifest, repoTags: ['a:1'] }], signal: ac.signal })).rejects.toThrow();
  });

  it('reports a corrupt stored blob as TSB4001 instead of writing it', async () => {
    const img = await makeTestImage(src, { compression: 'none', layers: [{ 'f.txt': 'y'.repeat(200_000) }] });
    const layer = src.path(img.layers[0]?.digest ?? img.manifest.digest);
    const buf = await fsp.readFile(layer);
    buf[150_000] = 0x7a;
    await fsp.writeFile(layer, buf);
    await expect(writeOciTar(createWriteStream(path.join(tmp, 'c.tar')), { content: src, manifests: [{ descriptor: img.manifest }] })).rejects.toMatchObject({ code: 'TSB4001' });
    await expect(writeOciLayout(path.join(tmp, 'c-layout'), { content: src, manifests: [{ descriptor: img.manifest }] })).rejects.toMatchObject({ code: 'TSB4001' });
    expect(await fsp.readdir(path.join(tmp, 'c-layout', 'blobs', 'sha256'))).not.toContain(img.layers[0]?.digest.slice(7));
  });
});

describe('multi-platform indexes', () => {
  const amd = { os: 'linux', architecture: 'amd64' };
  const arm = { os: 'linux', architecture: 'arm64' };

  it('readArchive picks the requested platform, else the host one', async () => {
    const { index, images } = await makeTestIndex(src, [amd, arm]);
    const dir = path.join(tmp, 'multi');
    await writeOciLayout(dir, { content: src, manifests: [{ descriptor: index, refName: 'multi' }] });
    const [armImg, amdImg] = [images[1], images[0]];
    const got = await readArchive(dir, { content: dst, platform: arm });
    expect(got[0]?.manifest.digest).toBe(armImg?.manifest.digest);
    expect(got[0]?.refNames).toEqual(['multi']);
    const host = process.arch === 'arm64' ? armImg : amdImg;
    expect((await readArchive(dir, { content: dst }))[0]?.manifest.digest).toBe(host?.manifest.digest);
    await expect(readArchive(dir, { content: dst, platform: { os: 'linux', architecture: 's390x' } })).rejects.toMatchObject({ code: 'TSB4105' });
  });

  it('resolveOciLayout finds images by tag, digest or as the only entry', async () => {
    const { index, images } = await makeTestIndex(src, [amd, arm]);
    const single = await makeTestImage(src);
    const dir = path.join(tmp, 'res');
    await writeOciLayout(dir, { content: src, manifests: [{ descriptor: single.manifest, refName: 'docker.io/library/one:1' }] });
    expect((await resolveOciLayout(dir)).manifest.digest).toBe(single.manifest.digest);
    expect((await resolveOciLayout(dir)).blobsDir).toBe(path.join(dir, 'blobs'));
    await writeOciLayout(dir, { content: src, manifests: [{ descriptor: index, refName: 'multi' }] });
    await expect(resolveOciLayout(dir)).rejects.toMatchObject({ code: 'TSB4103' });
    expect((await resolveOciLayout(dir, { tag: '1' })).manifest.digest).toBe(single.manifest.digest);
    expect((await resolveOciLayout(dir, { tag: 'one:1' })).manifest.digest).toBe(single.manifest.digest);
    expect((await resolveOciLayout(dir, { tag: 'multi', platform: arm })).manifest.digest).toBe(images[1]?.manifest.digest);
    expect((await resolveOciLayout(dir, { digest: images[0]?.manifest.digest ?? 'sha256:x' as Descriptor['digest'] })).manifest.mediaType).toBe(MediaType.ociManifest);
    await expect(resolveOciLayout(dir, { tag: 'nope' })).rejects.toMatchObject({ code: 'TSB4103' });
    await expect(resolveOciLayout(path.join(tmp, 'missing'))).rejects.toMatchObject({ code: 'TSB4101' });
  });

  it('an OCI tar of an index carries every platform; import stores the index and the chosen one', async () => {
    const { index, images } = await makeTestIndex(src, [amd, arm]);
    const file = await toFile('multi.tar', (out) => writeOciTar(out, { content: src, manifests: [{ descriptor: index }] }));
    for (const [i, platform] of [amd, arm].entries()) {
      const store = new ContentStore(path.join(tmp, `dst-${i}`));
      const got = await readArchive(file, { content: store, platform });
      expect(got[0]?.manifest.digest).toBe(images[i]?.manifest.digest);
      await validateImage(store, got[0]?.manifest as Descriptor);
      expect(await store.has(index.digest)).toBe(true);
    }
  });
});

describe('validateImage', () => {
  it('rejects a config whose diff_id does not match the layer', async () => {
    const img = await makeTestImage(src, { badDiffId: true });
    await expect(validateImage(src, img.manifest)).rejects.toMatchObject({ code: 'TSB4001' });
  });

  it('rejects a descriptor with the wrong size or a missing layer', async () => {
    const img = await makeTestImage(src);
    await expect(validateImage(src, { ...img.manifest, size: img.manifest.size + 1 })).rejects.toMatchObject({ code: 'TSB4001' });
    await src.delete(img.layers[0]?.digest ?? img.manifest.digest);
    await expect(validateImage(src, img.manifest)).rejects.toMatchObject({ code: 'TSB4002' });
  });

  it('accepts a valid multi-platform index', async () => {
    const { index } = await makeTestIndex(src, [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm', variant: 'v7' },
    ]);
    await expect(validateImage(src, index)).resolves.toBeUndefined();
  });
});
