// Pull: manifest (or index → platform manifest), then config and layers in parallel, verified into the content store.
import { Readable } from 'node:stream';
import PQueue from 'p-queue';
import { TsbuildError, type Descriptor, type Digest, type Platform } from '../core/index.js';
import type { ContentStore } from '../content/index.js';
import { formatPlatform, isIndexType, isManifestType, parseReference, selectManifest, type ImageIndex, type ImageManifest, type ImageReference } from '../image/index.js';
import { repoScope } from './auth.js';
import { describeFailure, Session, type RegistryClient } from './client.js';
import { discard, isTransientNetworkError } from './http.js';
import { fetchManifest, referenceOf, type FetchedManifest } from './manifest.js';
import type { RegistryOptions } from './options.js';
import { recordBlobSources } from './sources.js';

export interface PullOptions extends RegistryOptions {
  content: ContentStore;
  platform: Platform;
  /** Blobs downloaded at once; default 3. */
  concurrency?: number;
}

export interface PullResult {
  /** The image manifest for the requested platform (with its platform when it came from an index). */
  manifest: Descriptor;
  /** The index the manifest was chosen from, when the reference named one. */
  index?: Descriptor;
}

const MAX_INDEX_DEPTH = 4;

function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    throw new TsbuildError('TSB4205', `${what} is not valid JSON`);
  }
}

function inferType(bytes: Buffer): string {
  const v = parseJson<{ mediaType?: unknown; manifests?: unknown }>(bytes, 'stored manifest');
  if (typeof v.mediaType === 'string') return v.mediaType;
  return Array.isArray(v.manifests) ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json';
}

/** A manifest by digest: from the store when present (no network), else from the registry. */
async function manifestByDigest(opts: PullOptions, client: () => RegistryClient, ref: ImageReference, d: Descriptor): Promise<FetchedManifest & { stored: boolean }> {
  const info = await opts.content.info(d.digest);
  if (info && info.size === d.size) {
    const bytes = await opts.content.readBuffer(d.digest, opts.signal);
    return { desc: d, bytes, stored: true };
  }
  const got = await fetchManifest(client(), ref, d.digest, d.digest);
  if (got.bytes.length !== d.size) throw new TsbuildError('TSB4001', `manifest ${d.digest} of ${ref.name}: expected ${d.size} bytes, got ${got.bytes.length}`);
  return { desc: d, bytes: got.bytes, stored: false };
}

async function fetchBlob(opts: PullOptions, client: RegistryClient, ref: ImageReference, d: Descriptor): Promise<void> {
  const retries = Math.max(1, opts.retries ?? 4);
  for (let attempt = 1; ; attempt++) {
    const res = await client.request({ method: 'GET', path: `/v2/${ref.path}/blobs/${d.digest}`, scopes: [repoScope(ref.path, 'pull')], redirects: true });
    if (res.status !== 200) {
      if (res.status === 404) {
        discard(res);
        throw new TsbuildError('TSB4201', `blob ${d.digest} of ${ref.name} is missing from the registry`);
      }
      throw new TsbuildError('TSB4201', `downloading blob ${d.digest} of ${ref.name} failed: ${await describeFailure(res)}`);
    }
    try {
      await opts.content.ingest(res.body, { digest: d.digest, size: d.size, ...(opts.signal ? { signal: opts.signal } : {}) });
      return;
    } catch (e) {
      res.body.destroy();
      if (e instanceof TsbuildError || opts.signal?.aborted) throw e;
      if (!isTransientNetworkError(e)) throw e;
      if (attempt >= retries) {
        throw new TsbuildError('TSB4201', `downloading blob ${d.digest} of ${ref.name} failed: ${(e as Error).message}`, { cause: e });
      }
      await new Promise((r) => setTimeout(r, (opts.retryBaseMs ?? 500) * 2 ** (attempt - 1)));
    }
  }
}

/** Downloads the blobs the store lacks; returns the digests it fetched. */
export async function fetchBlobs(opts: PullOptions, client: () => RegistryClient, ref: ImageReference, blobs: Descriptor[], stop: () => void): Promise<Digest[]> {
  const queue = new PQueue({ concurrency: Math.max(1, opts.concurrency ?? 3) });
  const fetched: Digest[] = [];
  let first: unknown;
  const results = await Promise.allSettled(
    blobs.map((d) =>
      queue.add(async () => {
        if (first !== undefined) return;
        const info = await opts.content.info(d.digest);
        if (info?.size === d.size) return;
        try {
          await fetchBlob(opts, client(), ref, d);
          fetched.push(d.digest);
        } catch (e) {
          if (first === undefined) {
            first = e;
            stop();
          }
          throw e;
        }
      }),
    ),
  );
  if (first !== undefined) throw first;
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return fetched;
}

async function storeManifest(content: ContentStore, m: FetchedManifest, signal?: AbortSignal): Promise<void> {
  await content.ingest(Readable.from([m.bytes]), { digest: m.desc.digest, size: m.desc.size, ...(signal ? { signal } : {}) });
}

/**
 * Pulls one platform of an image into `opts.content`. Blobs already stored are not downloaded
 * again, so a pull that failed part-way resumes; manifests are stored only after everything they
 * reference, so a failed pull never leaves a manifest whose blobs are missing.
 */
export async function pullImage(refText: string, opts: PullOptions): Promise<PullResult> {
  const ref = parseReference(refText);
  return withPullSession(opts, ref.domain, async (client, inner) => {
    let current: FetchedManifest & { stored: boolean };
    if (ref.digest !== undefined && (await opts.content.has(ref.digest))) {
      const bytes = await opts.content.readBuffer(ref.digest, opts.signal);
      current = { desc: { mediaType: inferType(bytes), digest: ref.digest, size: bytes.length }, bytes, stored: true };
    } else {
      current = { ...(await fetchManifest(client(), ref, referenceOf(ref), ref.digest)), stored: false };
    }
    const chain: Array<FetchedManifest & { stored: boolean }> = [current];
    let index: Descriptor | undefined;
    for (let depth = 0; isIndexType(current.desc.mediaType); depth++) {
      if (depth >= MAX_INDEX_DEPTH) throw new TsbuildError('TSB4205', `indexes of ${ref.toString()} nest too deeply`);
      index ??= current.desc;
      const idx = parseJson<ImageIndex>(current.bytes, `index ${current.desc.digest}`);
      const entries = (Array.isArray(idx.manifests) ? idx.manifests : []).filter((e) => isManifestType(e.mediaType) || isIndexType(e.mediaType));
      const chosen = selectManifest(entries, opts.platform);
      if (!chosen) {
        const available = entries.flatMap((e) => (e.platform ? [formatPlatform(e.platform)] : []));
        throw new TsbuildError('TSB4204', `${ref.toString()} has no image for ${formatPlatform(opts.platform)}; available: ${available.length > 0 ? available.join(', ') : '(none)'}`);
      }
      current = await manifestByDigest(opts, client, ref, chosen);
      chain.push(current);
    }
    if (!isManifestType(current.desc.mediaType)) throw new TsbuildError('TSB4205', `${ref.toString()} resolves to unsupported media type ${current.desc.mediaType}`);
    const manifest = parseJson<ImageManifest>(current.bytes, `manifest ${current.desc.digest}`);
    if (!manifest.config || !Array.isArray(manifest.layers)) throw new TsbuildError('TSB4205', `manifest ${current.desc.digest} of ${ref.toString()} lacks config or layers`);
    const blobs = new Map<Digest, Descriptor>();
    for (const d of [manifest.config, ...manifest.layers]) blobs.set(d.digest, d);
    const fetched = await fetchBlobs({ ...opts, signal: inner.signal }, client, ref, [...blobs.values()], () => inner.abort());
    for (const m of [...chain].reverse()) if (!m.stored) await storeManifest(opts.content, m, opts.signal);
    await recordBlobSources(opts.content.root, [...fetched, ...chain.filter((m) => !m.stored).map((m) => m.desc.digest)], ref.name, opts.signal).catch(() => undefined);
    return { manifest: current.desc, ...(index ? { index } : {}) };
  });
}

/**
 * Runs `fn` with a registry session whose requests stop when the caller's signal aborts or when
 * `fn` aborts `inner` (one failed blob stops the others: their requests and partial ingests end).
 */
export async function withPullSession<T>(
  opts: RegistryOptions,
  domain: string,
  fn: (client: () => RegistryClient, inner: AbortController) => Promise<T>,
): Promise<T> {
  const inner = new AbortController();
  const onAbort = (): void => inner.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const session = new Session({ ...opts, signal: inner.signal });
  try {
    return await fn(() => session.client(domain), inner);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    session.close();
  }
}
