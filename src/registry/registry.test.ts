// Push and pull against a real distribution registry (through a recording proxy): images, indexes, uploads, mounts, faults.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TsbuildError, type Descriptor } from '../core/index.js';
import { ContentStore } from '../content/index.js';
import { makeTestImage, makeTestIndex } from '../image/testimage.testutil.js';
import { pullImage, pushImage, resolve, type BlobOutcome, type RegistryOptions } from './index.js';
import { startProxy, type TestProxy } from './proxy.testutil.js';
import { haveRegistry, startRegistry, type TestRegistry } from './testregistry.testutil.js';

const amd64 = { os: 'linux', architecture: 'amd64' };
const arm64 = { os: 'linux', architecture: 'arm64' };

async function rejection(p: Promise<unknown>): Promise<TsbuildError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TsbuildError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe.skipIf(!haveRegistry())('registry push and pull', () => {
  let reg: TestRegistry;
  let proxy: TestProxy;
  let tmp: string;
  let storeN = 0;
  const base: RegistryOptions = { retries: 2, retryBaseMs: 20, dockerConfigDir: '/nonexistent-docker-config' };

  const newStore = async (): Promise<ContentStore> => {
    const dir = path.join(tmp, `store-${storeN++}`);
    await fsp.mkdir(dir, { recursive: true });
    return new ContentStore(dir);
  };
  const since = (n: number): Array<{ method: string; url: string; status: number }> => proxy.requests.slice(n);

  beforeAll(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsbuild-regtest-'));
    reg = await startRegistry();
    proxy = await startProxy(reg.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await reg?.stop();
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  it('pushes an image under several tags and pulls it back into an empty store', async () => {
    const src = await newStore();
    const img = await makeTestImage(src, { layers: [{ 'a.txt': 'first\n' }, { 'b.txt': 'second\n' }], platform: amd64 });
    const outcomes: BlobOutcome[] = [];
    await pushImage({ ...base, content: src, manifest: img.manifest, refs: [`${proxy.host}/app/one:v1`, `${proxy.host}/app/one:v2`], onBlob: (_d, o) => outcomes.push(o) });
    expect(outcomes).toEqual(['uploaded', 'uploaded', 'uploaded']);

    for (const tag of ['v1', 'v2']) {
      const desc = await resolve(`${proxy.host}/app/one:${tag}`, base);
      expect(desc.digest).toBe(img.manifest.digest);
      expect(desc.size).toBe(img.manifest.size);
    }
    const dst = await newStore();
    const got = await pullImage(`${proxy.host}/app/one:v2`, { ...base, content: dst, platform: amd64 });
    expect(got.manifest.digest).toBe(img.manifest.digest);
    expect(got.index).toBeUndefined();
    for (const d of [img.manifest, img.config, ...img.layers]) {
      expect((await dst.readBuffer(d.digest)).equals(await src.readBuffer(d.digest))).toBe(true);
    }
  });

  it('skips blobs the registry already has on a second push', async () => {
    const src = await newStore();
    const img = await makeTestImage(src, { layers: [{ 'again.txt': 'again\n' }], platform: amd64 });
    await pushImage({ ...base, content: src, manifest: img.manifest, refs: [`${proxy.host}/app/again:1`] });
    const mark = proxy.requests.length;
    const outcomes: BlobOutcome[] = [];
    await pushImage({ ...base, content: src, manifest: img.manifest, refs: [`${proxy.host}/app/again:1`], onBlob: (_d, o) => outcomes.push(o) });
    expect(outcomes).toEqual(['exists', 'exists']);
    const reqs = since(mark);
    expect(reqs.filter((r) => r.url.includes('/blobs/uploads/'))).toEqual([]);
    expect(reqs.filter((r) => r.method === 'HEAD' && r.url.includes('/blobs/')).length).toBe(2);
    expect(reqs.filter((r) => r.method === 'PUT').map((r) => r.url)).toEqual(['/v2/app/again/manifests/1']);
  });

  it('uploads large blobs in chunks and small ones in one request', async () => {
    const src = await newStore();
    const big = randomBytes(300 * 1024).toString('base64');
    const img = await makeTestImage(src, { layers: [{ 'big.txt': big }, { 'small.txt': 'small\n' }], platform: amd64 });
    const bigLayer = img.layers[0] as Descriptor;
    expect(bigLayer.size).toBeGreaterThan(256 * 1024);
    const mark = proxy.requests.length;
    await pushImage({ ...base, content: src, manifest: img.manifest, refs: [`${proxy.host}/app/chunked:1`], chunkThreshold: 64 * 1024 });
    const reqs = since(mark);
    const patches = reqs.filter((r) => r.method === 'PATCH');
    expect(patches.length).toBe(Math.ceil(bigLayer.size / (64 * 1024)));
    expect(patches.every((r) => r.status === 202)).toBe(true);
    const blobPuts = reqs.filter((r) => r.method === 'PUT' && r.url.includes('/blobs/uploads/'));
    expect(blobPuts.length).toBe(3);
    expect(blobPuts.every((r) => r.status === 201)).toBe(true);

    const mark2 = proxy.requests.length;
    await pushImage({ ...base, content: src, manifest: img.manifest, refs: [`${proxy.host}/app/mono:1`], chunkThreshold: 1024 * 1024 });
    expect(since(mark2).filter((r) => r.method === 'PATCH')).toEqual([]);

    for (const repo of ['chunked', 'mono']) {
      const dst = await newStore();
      await pullImage(`${proxy.host}/app/${repo}:1`, { ...base, content: dst, platform: amd64 });
      expect((await dst.readBuffer(bigLayer.digest)).length).toBe(bigLayer.size);
    }
  });

  it('pushes a multi-platform index and pulls each platform', async () => {
    const src = await newStore();
    const { index, images } = await makeTestIndex(src, [amd64, arm64]);
    await pushImage({ ...base, content: src, manifest: index, refs: [`${proxy.host}/multi:latest`] });
    expect((await resolve(`${proxy.host}/multi:latest`, base)).digest).toBe(index.digest);
    for (const [i, platform] of [amd64, arm64].entries()) {
      const dst = await newStore();
      const got = await pullImage(`${proxy.host}/multi:latest`, { ...base, content: dst, platform });
      const want = images[i];
      expect(got.index?.digest).toBe(index.digest);
      expect(got.manifest.digest).toBe(want?.manifest.digest);
      expect(got.manifest.platform?.architecture).toBe(platform.architecture);
      expect(await dst.has(index.digest)).toBe(true);
      for (const l of want?.layers ?? []) expect(await dst.has(l.digest)).toBe(true);
      const other = images[1 - i];
      for (const l of other?.layers ?? []) expect(await dst.has(l.digest)).toBe(false);
    }
    const dst = await newStore();
    const err = await rejection(pullImage(`${proxy.host}/multi:latest`, { ...base, content: dst, platform: { os: 'linux', architecture: 's390x' } }));
    expect(err.code).toBe('TSB4204');
    expect(err.message).toContain('linux/amd64');
    expect(err.message).toContain('linux/arm64');
    expect(await dst.has(index.digest)).toBe(false);
  });

  it('mounts blobs from another repository of the same registry instead of uploading', async () => {
    const src = await newStore();
    const img = await makeTestImage(src, { layers: [{ 'mounted.txt': 'mount me\n' }], platform: amd64 });
    await pushImage({ ...base, content: src, manifest: img.manifest, refs: [`${proxy.host}/team/source:1`] });
    const mark = proxy.requests.length;
    const outcomes: BlobOutcome[] = [];
    await pushImage({ ...base, content: src, manifest: img.manifest, refs: [`${proxy.host}/team/dest:1`], onBlob: (_d, o) => outcomes.push(o) });
    expect(outcomes).toEqual(['mounted', 'mounted']);
    const reqs = since(mark);
    const mounts = reqs.filter((r) => r.method === 'POST' && r.url.includes('mount='));
    expect(mounts.length).toBe(2);
    expect(mounts.every((r) => r.status === 201 && r.url.includes('from=team%2Fsource'))).toBe(true);
    expect(reqs.filter((r) => r.method === 'PUT' && r.url.includes('/blobs/'))).toEqual([]);
    const dst = await newStore();
    expect((await pullImage(`${proxy.host}/team/dest:1`, { ...base, content: dst, platform: amd64 })).manifest.digest).toBe(img.manifest.digest);
  });

  it('reports a missing tag as TSB4203 naming the reference', async () => {
    const dst = await newStore();
    const err = await rejection(pullImage(`${proxy.host}/app/one:nope`, { ...base, content: dst, platform: amd64 }));
    expect(err.code).toBe('TSB4203');
    expect(err.message).toContain('app/one:nope');
    expect((await rejection(resolve(`${proxy.host}/nothing/here:1`, base))).code).toBe('TSB4203');
  });

  it('does not touch the network for a digest-pinned image already in the store', async () => {
    const src = await newStore();
    const img = await makeTestImage(src, { layers: [{ 'pinned.txt': 'pinned\n' }], platform: amd64 });
    const mark = proxy.requests.length;
    // Port 1 on loopback answers nothing: any request would fail the pull.
    const got = await pullImage(`127.0.0.1:1/app/pinned@${img.manifest.digest}`, { ...base, content: src, platform: amd64 });
    expect(got.manifest.digest).toBe(img.manifest.digest);
    expect(proxy.requests.length).toBe(mark);
  });

  it('fails with TSB4001 on a corrupted blob and stores no manifest', async () => {
    const src = await newStore();
    const img = await makeTestImage(src, { layers: [{ 'corrupt.txt': 'will be flipped\n' }], platform: amd64 });
    await pushImage({ ...base, content: src, manifest: img.manifest, refs: [`${proxy.host}/app/corrupt:1`] });
    const layer = img.layers[0] as Descriptor;
    proxy.faults.corrupt = layer.digest;
    try {
      const dst = await newStore();
      const err = await rejection(pullImage(`${proxy.host}/app/corrupt:1`, { ...base, content: dst, platform: amd64 }));
      expect(err.code).toBe('TSB4001');
      expect(await dst.has(layer.digest)).toBe(false);
      expect(await dst.has(img.manifest.digest)).toBe(false);
      const ingest = await fsp.readdir(dst.ingestDir).catch(() => []);
      expect(ingest).toEqual([]);
    } finally {
      delete proxy.faults.corrupt;
    }
  });

  it('resumes a pull cut off mid-layer, downloading only the missing blobs', async () => {
    const src = await newStore();
    const img = await makeTestImage(src, { layers: [{ 'first.txt': 'small first\n' }, { 'huge.txt': randomBytes(1024 * 1024).toString('base64') }], platform: amd64 });
    await pushImage({ ...base, content: src, manifest: img.manifest, refs: [`${proxy.host}/app/cut:1`] });
    const huge = img.layers[1] as Descriptor;
    const dst = await newStore();
    proxy.faults.cut = { digest: huge.digest, after: 200 * 1024 };
    const ref = `${proxy.host}/app/cut:1`;
    try {
      const err = await rejection(pullImage(ref, { ...base, content: dst, platform: amd64, concurrency: 1 }));
      expect(err.code).toBe('TSB4201');
    } finally {
      delete proxy.faults.cut;
    }
    expect(await dst.has(huge.digest)).toBe(false);
    expect(await dst.has(img.manifest.digest)).toBe(false);
    expect(await dst.has(img.config.digest)).toBe(true);
    const mark = proxy.requests.length;
    const got = await pullImage(ref, { ...base, content: dst, platform: amd64, concurrency: 1 });
    expect(got.manifest.digest).toBe(img.manifest.digest);
    const blobGets = since(mark).filter((r) => r.method === 'GET' && r.url.includes('/blobs/'));
    expect(blobGets.map((r) => r.url)).toEqual([`/v2/app/cut/blobs/${huge.digest}`]);
    expect((await dst.readBuffer(huge.digest)).length).toBe(huge.size);
  });
});
