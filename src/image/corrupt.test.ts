// Damaged input for readArchive: truncated, flipped, missing, random — each a coded error and no tags.
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TsbuildError } from '../core/index.js';
import { ContentStore, RefStore } from '../content/index.js';
import { readArchive, writeDockerArchive, writeOciLayout, writeOciTar } from './index.js';
import { writeTar, type TarFile } from './tarwrite.js';
import { makeTestImage, type TestImage } from './testimage.testutil.js';

let tmp: string;
let src: ContentStore;
let dst: ContentStore;
let refs: RefStore;
let img: TestImage;
// Random data does not compress, so the layer blob appears verbatim in the archive.
const payload = randomBytes(200_000).toString('base64');

beforeEach(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-corrupt-'));
  src = new ContentStore(path.join(tmp, 'src'));
  dst = new ContentStore(path.join(tmp, 'dst'));
  refs = new RefStore(path.join(tmp, 'dst'));
  img = await makeTestImage(src, { compression: 'none', layers: [{ 'big.txt': payload }] });
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

/** What `image load` does: import everything, then tag only once all of it succeeded. */
async function load(source: string): Promise<void> {
  const images = await readArchive(source, { content: dst });
  for (const i of images) for (const name of i.refNames) await refs.set(name, i.manifest);
}

async function expectFailure(source: string, code: string, mentions?: string): Promise<TsbuildError> {
  let err: unknown;
  try {
    await load(source);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TsbuildError);
  const te = err as TsbuildError;
  expect(te.code).toBe(code);
  if (mentions !== undefined) expect(te.message).toContain(mentions);
  expect(await refs.list()).toEqual([]);
  expect(await fsp.readdir(dst.ingestDir).catch(() => [])).toEqual([]);
  expect(await dst.has(img.manifest.digest)).toBe(false);
  return te;
}

async function toFile(name: string, write: (out: Writable) => Promise<void>): Promise<string> {
  const file = path.join(tmp, name);
  await write(createWriteStream(file));
  return file;
}

const ociTar = (): Promise<string> => toFile('oci.tar', (out) => writeOciTar(out, { content: src, manifests: [{ descriptor: img.manifest, refName: 'app:1' }] }));
const dockerTar = (): Promise<string> => toFile('docker.tar', (out) => writeDockerArchive(out, { content: src, images: [{ manifest: img.manifest, repoTags: ['app:1'] }] }));

async function flipInPayload(file: string): Promise<void> {
  const buf = await fsp.readFile(file);
  const at = buf.indexOf(payload.slice(0, 64));
  expect(at).toBeGreaterThan(0);
  buf[at + 1000] = (buf[at + 1000] ?? 0) ^ 0x01;
  await fsp.writeFile(file, buf);
}

describe('readArchive with damaged input', () => {
  it('the undamaged archives load and tag (control)', async () => {
    await load(await ociTar());
    await load(await dockerTar());
    expect((await refs.list()).map((r) => r.descriptor.digest)).toEqual([img.manifest.digest, img.manifest.digest]);
  });

  it('truncated OCI tar → TSB4101 naming the file', async () => {
    const file = await ociTar();
    const st = await fsp.stat(file);
    await fsp.truncate(file, Math.floor(st.size / 2));
    await expectFailure(file, 'TSB4101', file);
  });

  it('truncated docker archive → TSB4101', async () => {
    const file = await dockerTar();
    await fsp.truncate(file, 100_000);
    await expectFailure(file, 'TSB4101', file);
  });

  it('flipped byte in a layer of an OCI tar → TSB4001 naming the blob; the bad blob is not stored', async () => {
    const file = await ociTar();
    await flipInPayload(file);
    await expectFailure(file, 'TSB4001', img.layers[0]?.digest.slice(7));
    expect(await dst.has(img.layers[0]?.digest ?? img.manifest.digest)).toBe(false);
  });

  it('flipped byte in a docker archive layer.tar → TSB4001 naming the layer', async () => {
    const file = await dockerTar();
    await flipInPayload(file);
    await expectFailure(file, 'TSB4001', 'layer.tar');
  });

  it('flipped byte in a layout directory blob → TSB4001', async () => {
    const dir = path.join(tmp, 'layout');
    await writeOciLayout(dir, { content: src, manifests: [{ descriptor: img.manifest, refName: 'x' }] });
    await flipInPayload(path.join(dir, 'blobs', 'sha256', img.layers[0]?.digest.slice(7) ?? ''));
    await expectFailure(dir, 'TSB4001');
  });

  it('missing layer blob in a layout directory and in an OCI tar → TSB4101', async () => {
    const dir = path.join(tmp, 'layout');
    await writeOciLayout(dir, { content: src, manifests: [{ descriptor: img.manifest, refName: 'x' }] });
    const layerHex = img.layers[0]?.digest.slice(7) ?? '';
    await fsp.rm(path.join(dir, 'blobs', 'sha256', layerHex));
    await expectFailure(dir, 'TSB4101', layerHex);

    const files: TarFile[] = [];
    for (const rel of ['oci-layout', 'index.json', ...(await fsp.readdir(path.join(dir, 'blobs', 'sha256'))).map((h) => `blobs/sha256/${h}`)]) {
      const data = await fsp.readFile(path.join(dir, rel));
      files.push({ name: rel, size: data.length, open: () => data });
    }
    const file = await toFile('missing.tar', (out) => writeTar(out, files));
    await expectFailure(file, 'TSB4101', layerHex);
  });

  it('docker archive whose manifest.json names a missing layer → TSB4101', async () => {
    const data = Buffer.from(JSON.stringify([{ Config: `${img.config.digest.slice(7)}.json`, RepoTags: ['a:1'], Layers: ['nope/layer.tar'] }]));
    const config = await src.readBuffer(img.config.digest);
    const file = await toFile('bad-docker.tar', (out) =>
      writeTar(out, [
        { name: 'manifest.json', size: data.length, open: () => data },
        { name: `${img.config.digest.slice(7)}.json`, size: config.length, open: () => config },
      ]),
    );
    await expectFailure(file, 'TSB4101', 'nope/layer.tar');
  });

  it('random bytes, an empty file, a tar of unrelated files and a missing path → TSB4101', async () => {
    const random = path.join(tmp, 'random.tar');
    await fsp.writeFile(random, randomBytes(10_000));
    await expectFailure(random, 'TSB4101', random);
    const empty = path.join(tmp, 'empty.tar');
    await fsp.writeFile(empty, '');
    await expectFailure(empty, 'TSB4101', empty);
    const other = await toFile('other.tar', (out) => writeTar(out, [{ name: 'README', size: 2, open: () => Buffer.from('hi') }]));
    await expectFailure(other, 'TSB4101', other);
    await expectFailure(path.join(tmp, 'does-not-exist.tar'), 'TSB4101', 'does-not-exist.tar');
    await expectFailure(tmp, 'TSB4101');
  });
});
