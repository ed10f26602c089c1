// Selective downloads: one manifest by reference, and chosen blobs only (for imported build caches).
import { Readable } from 'node:stream';
import type { Descriptor } from '../core/index.js';
import { parseReference } from '../image/index.js';
import { Session } from './client.js';
import { fetchManifest, referenceOf } from './manifest.js';
import { fetchBlobs, withPullSession, type PullOptions } from './pull.js';

type FetchOptions = Omit<PullOptions, 'platform'>;

/** Fetches (and stores, verified) the manifest a reference names, without any of its blobs. */
export async function fetchManifestOnly(refText: string, opts: FetchOptions): Promise<Descriptor> {
  const ref = parseReference(refText);
  const session = new Session(opts);
  try {
    const m = await fetchManifest(session.client(ref.domain), ref, referenceOf(ref), ref.digest);
    await opts.content.ingest(Readable.from([m.bytes]), { digest: m.desc.digest, size: m.desc.size, ...(opts.signal ? { signal: opts.signal } : {}) });
    return m.desc;
  } finally {
    session.close();
  }
}

/** Downloads the given blobs of a repository that the store lacks, each verified. */
export async function pullBlobs(refText: string, blobs: Descriptor[], opts: FetchOptions): Promise<void> {
  const ref = parseReference(refText);
  await withPullSession(opts, ref.domain, async (client, inner) => {
    await fetchBlobs({ ...opts, platform: { os: 'linux', architecture: 'amd64' }, signal: inner.signal }, client, ref, blobs, () => inner.abort());
  });
}
