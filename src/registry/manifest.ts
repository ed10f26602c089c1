// Manifest requests: resolving a tag to a descriptor, and fetching manifest bytes with digest verification.
import { TsbuildError, isDigest, sha256, type Descriptor, type Digest } from '../core/index.js';
import { MediaType, isIndexType, isManifestType, parseReference, type ImageReference } from '../image/index.js';
import { repoScope } from './auth.js';
import { describeFailure, Session, type RegistryClient } from './client.js';
import { discard, readBody } from './http.js';
import type { RegistryOptions } from './options.js';

export const MANIFEST_ACCEPT = [MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.dockerManifest].join(', ');

/** Manifests larger than this are refused, as the distribution spec suggests registries do. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface FetchedManifest {
  desc: Descriptor;
  bytes: Buffer;
}

function manifestPath(ref: ImageReference, reference: string): string {
  return `/v2/${ref.path}/manifests/${reference}`;
}

function bareType(contentType: string | undefined): string | undefined {
  const t = contentType?.split(';')[0]?.trim();
  return t === '' ? undefined : t;
}

/** The media type a manifest declares, else what the registry said it was. */
function mediaTypeOf(bytes: Buffer, contentType: string | undefined, where: string): string {
  let parsed: { mediaType?: unknown; manifests?: unknown; config?: unknown; schemaVersion?: unknown };
  try {
    parsed = JSON.parse(bytes.toString('utf8')) as typeof parsed;
  } catch {
    throw new TsbuildError('TSB4205', `the manifest of ${where} is not valid JSON`);
  }
  if (parsed.schemaVersion === 1) throw new TsbuildError('TSB4205', `${where} is a Docker schema 1 image, which is not supported`);
  const declared = typeof parsed.mediaType === 'string' ? parsed.mediaType : undefined;
  const sent = bareType(contentType);
  const mt = declared ?? (isIndexType(sent) || isManifestType(sent) ? sent : Array.isArray(parsed.manifests) ? MediaType.ociIndex : parsed.config ? MediaType.ociManifest : sent);
  if (!isIndexType(mt) && !isManifestType(mt)) throw new TsbuildError('TSB4205', `${where} has unsupported manifest media type ${mt ?? '(none)'}`);
  return mt as string;
}

function checkDigest(where: string, got: Digest, expected: Digest | undefined, header: string | undefined): void {
  if (expected !== undefined && got !== expected) {
    throw new TsbuildError('TSB4001', `manifest of ${where}: expected ${expected}, got ${got}`);
  }
  if (expected === undefined && header !== undefined && isDigest(header) && header !== got) {
    throw new TsbuildError('TSB4001', `manifest of ${where}: the registry announced ${header}, the content hashes to ${got}`);
  }
}

/** GETs a manifest by tag or digest; the bytes must hash to `expected` (or to Docker-Content-Digest). */
export async function fetchManifest(client: RegistryClient, ref: ImageReference, reference: string, expected?: Digest): Promise<FetchedManifest> {
  const where = `${ref.name}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`;
  const res = await client.request({ method: 'GET', path: manifestPath(ref, reference), headers: { Accept: MANIFEST_ACCEPT }, scopes: [repoScope(ref.path, 'pull')] });
  if (res.status === 404) {
    discard(res);
    throw new TsbuildError('TSB4203', `manifest for ${where} not found`);
  }
  if (res.status !== 200) throw new TsbuildError('TSB4201', `fetching the manifest of ${where} failed: ${await describeFailure(res)}`);
  const bytes = await readBody(res, MAX_MANIFEST_BYTES);
  const digest = sha256(bytes);
  checkDigest(where, digest, expected, res.header('docker-content-digest'));
  return { desc: { mediaType: mediaTypeOf(bytes, res.header('content-type'), where), digest, size: bytes.length }, bytes };
}

/** The digest-qualified reference to ask for: the pinned digest, else the tag. */
export function referenceOf(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** Resolves a reference to its manifest (or index) descriptor; a missing one is TSB4203. */
export async function resolve(refText: string, opts: RegistryOptions = {}): Promise<Descriptor> {
  const ref = parseReference(refText);
  const session = new Session(opts);
  try {
    const client = session.client(ref.domain);
    const reference = referenceOf(ref);
    const res = await client.request({ method: 'HEAD', path: manifestPath(ref, reference), headers: { Accept: MANIFEST_ACCEPT }, scopes: [repoScope(ref.path, 'pull')] });
    discard(res);
    if (res.status === 404) throw new TsbuildError('TSB4203', `manifest for ${ref.toString()} not found`);
    const digest = res.header('docker-content-digest');
    const mediaType = bareType(res.header('content-type'));
    const size = Number(res.header('content-length'));
    // Some registries answer HEAD without the headers a descriptor needs; GET and hash instead.
    if (res.status === 200 && digest && isDigest(digest) && (isIndexType(mediaType) || isManifestType(mediaType)) && Number.isSafeInteger(size) && size > 0) {
      if (ref.digest !== undefined && digest !== ref.digest) {
        throw new TsbuildError('TSB4001', `manifest of ${ref.toString()}: the registry announced ${digest}`);
      }
      return { mediaType: mediaType as string, digest, size };
    }
    return (await fetchManifest(client, ref, reference, ref.digest)).desc;
  } finally {
    session.close();
  }
}
