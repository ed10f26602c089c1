// Blob upload to one repository: existence check, cross-repository mount, monolithic or chunked upload.
import { createReadStream } from 'node:fs';
import { TsbuildError, type Descriptor } from '../core/index.js';
import type { ContentStore } from '../content/index.js';
import type { ImageReference } from '../image/index.js';
import { repoScope } from './auth.js';
import { describeFailure, type RegistryClient } from './client.js';
import { discard, type HttpResponse } from './http.js';

export const DEFAULT_CHUNK_THRESHOLD = 16 * 1024 * 1024;

export interface BlobTarget {
  client: RegistryClient;
  repo: ImageReference;
  content: ContentStore;
  /** Blobs larger than this go up in PATCH chunks of this size. */
  chunkThreshold: number;
  chunkSize: number;
}

export type BlobOutcome = 'exists' | 'mounted' | 'uploaded';

function location(res: HttpResponse, what: string): URL {
  const loc = res.header('location');
  if (!loc) throw new TsbuildError('TSB4205', `${what}: the registry sent no upload Location`);
  return new URL(loc, res.url);
}

async function expect(res: HttpResponse, status: number, what: string): Promise<void> {
  if (res.status === status) {
    discard(res);
    return;
  }
  throw new TsbuildError('TSB4201', `${what} failed: ${await describeFailure(res)}`);
}

async function exists(t: BlobTarget, d: Descriptor): Promise<boolean> {
  const res = await t.client.request({ method: 'HEAD', path: `/v2/${t.repo.path}/blobs/${d.digest}`, scopes: [repoScope(t.repo.path, 'push')] });
  discard(res);
  if (res.status === 200) return true;
  if (res.status === 404) return false;
  throw new TsbuildError('TSB4201', `checking blob ${d.digest} in ${t.repo.name} failed: HTTP ${res.status}`);
}

/** Tries to mount from each candidate repository; returns an upload URL when the registry opened one instead. */
async function mount(t: BlobTarget, d: Descriptor, from: string[]): Promise<'mounted' | URL | undefined> {
  for (const source of from) {
    const q = new URLSearchParams({ mount: d.digest, from: source });
    const res = await t.client.request({
      method: 'POST',
      path: `/v2/${t.repo.path}/blobs/uploads/?${q.toString()}`,
      scopes: [repoScope(t.repo.path, 'push'), repoScope(source, 'pull')],
    }).catch((e: unknown) => {
      // A refused source repository only means we upload instead.
      if (e instanceof TsbuildError && e.code === 'TSB4202') return undefined;
      throw e;
    });
    if (!res) continue;
    discard(res);
    if (res.status === 201) return 'mounted';
    if (res.status === 202) return location(res, `mounting ${d.digest}`);
  }
  return undefined;
}

function withDigest(url: URL, d: Descriptor): URL {
  const u = new URL(url);
  u.searchParams.set('digest', d.digest);
  return u;
}

async function upload(t: BlobTarget, d: Descriptor, started: URL | undefined): Promise<void> {
  const what = `uploading blob ${d.digest} to ${t.repo.name}`;
  const scopes = [repoScope(t.repo.path, 'push')];
  let url = started;
  if (!url) {
    const res = await t.client.request({ method: 'POST', path: `/v2/${t.repo.path}/blobs/uploads/`, scopes });
    if (res.status !== 202) throw new TsbuildError('TSB4201', `${what} failed: ${await describeFailure(res)}`);
    discard(res);
    url = location(res, what);
  }
  const file = t.content.path(d.digest);
  const octets = { 'Content-Type': 'application/octet-stream' };
  if (d.size <= t.chunkThreshold) {
    const res = await t.client.request({
      method: 'PUT',
      path: withDigest(url, d),
      headers: { ...octets, 'Content-Length': String(d.size) },
      body: () => createReadStream(file),
      scopes,
    });
    return expect(res, 201, what);
  }
  for (let start = 0; start < d.size; start += t.chunkSize) {
    const end = Math.min(d.size, start + t.chunkSize) - 1;
    const chunkUrl: URL = url;
    const res = await t.client.request({
      method: 'PATCH',
      path: chunkUrl,
      headers: { ...octets, 'Content-Length': String(end - start + 1), 'Content-Range': `${start}-${end}` },
      body: () => createReadStream(file, { start, end }),
      scopes,
    });
    if (res.status !== 202) throw new TsbuildError('TSB4201', `${what} (bytes ${start}-${end}) failed: ${await describeFailure(res)}`);
    discard(res);
    url = location(res, what);
  }
  const res = await t.client.request({ method: 'PUT', path: withDigest(url, d), scopes });
  return expect(res, 201, what);
}

/** Makes `d` present in the target repository with as little transfer as the registry allows. */
export async function pushBlob(t: BlobTarget, d: Descriptor, mountFrom: string[]): Promise<BlobOutcome> {
  const info = await t.content.info(d.digest);
  if (!info) throw new TsbuildError('TSB4002', `blob ${d.digest} (${d.mediaType}) is not in the content store`);
  if (info.size !== d.size) throw new TsbuildError('TSB4001', `blob ${d.digest} has ${info.size} bytes but its descriptor says ${d.size}`);
  if (await exists(t, d)) return 'exists';
  const mounted = mountFrom.length > 0 ? await mount(t, d, mountFrom) : undefined;
  if (mounted === 'mounted') return 'mounted';
  await upload(t, d, mounted);
  return 'uploaded';
}
