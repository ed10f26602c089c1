// Push: blobs (and child manifests of an index) first, the manifest last, then every tag, per repository.
import PQueue from 'p-queue';
import { TsbuildError, type Descriptor, type Digest } from '../core/index.js';
import type { ContentStore } from '../content/index.js';
import { isIndexType, isManifestType, parseReference, type ImageIndex, type ImageManifest, type ImageReference } from '../image/index.js';
import { repoScope } from './auth.js';
import { describeFailure, Session } from './client.js';
import { discard } from './http.js';
import type { RegistryOptions } from './options.js';
import { blobSources, recordBlobSources } from './sources.js';
import { DEFAULT_CHUNK_THRESHOLD, pushBlob, type BlobOutcome, type BlobTarget } from './upload.js';

export interface PushOptions extends RegistryOptions {
  content: ContentStore;
  /** The image manifest or index to push. */
  manifest: Descriptor;
  /** Where to push: several tags, in one repository or several. */
  refs: string[];
  /** Blobs above this many bytes are uploaded in chunks; default 16 MiB. */
  chunkThreshold?: number;
  /** Chunk size for chunked uploads; default the threshold. */
  chunkSize?: number;
  /** Blobs uploaded at once; default 3. */
  concurrency?: number;
  /** Called once per blob with what happened to it. */
  onBlob?: (d: Descriptor, outcome: BlobOutcome, repo: string) => void;
}

function parseJson<T>(bytes: Buffer, d: Descriptor): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    throw new TsbuildError('TSB4005', `content ${d.digest} is not valid JSON`);
  }
}

async function putManifest(t: BlobTarget, d: Descriptor, bytes: Buffer, reference: string): Promise<void> {
  const res = await t.client.request({
    method: 'PUT',
    path: `/v2/${t.repo.path}/manifests/${reference}`,
    headers: { 'Content-Type': d.mediaType },
    body: bytes,
    scopes: [repoScope(t.repo.path, 'push')],
  });
  if (res.status !== 201 && res.status !== 200) {
    throw new TsbuildError('TSB4201', `pushing manifest ${d.digest} as ${t.repo.name}:${reference} failed: ${await describeFailure(res)}`);
  }
  discard(res);
  const announced = res.header('docker-content-digest');
  if (announced !== undefined && announced !== d.digest) {
    throw new TsbuildError('TSB4205', `${t.repo.name} stored manifest ${d.digest} under digest ${announced}`);
  }
}

/** Pushes everything `d` references, bottom-up; returns the digests the repository now holds. */
async function pushTree(t: BlobTarget, opts: PushOptions, d: Descriptor, depth: number): Promise<Digest[]> {
  if (depth > 4) throw new TsbuildError('TSB4005', `index ${d.digest} nests too deeply`);
  const bytes = await opts.content.readBuffer(d.digest, opts.signal);
  if (bytes.length !== d.size) throw new TsbuildError('TSB4001', `manifest ${d.digest} has ${bytes.length} bytes but its descriptor says ${d.size}`);
  const held: Digest[] = [];
  if (isIndexType(d.mediaType)) {
    const idx = parseJson<ImageIndex>(bytes, d);
    for (const child of idx.manifests ?? []) {
      if (!isManifestType(child.mediaType) && !isIndexType(child.mediaType)) continue;
      held.push(...(await pushTree(t, opts, child, depth + 1)));
      await putManifest(t, child, await opts.content.readBuffer(child.digest, opts.signal), child.digest);
      held.push(child.digest);
    }
    return held;
  }
  if (!isManifestType(d.mediaType)) throw new TsbuildError('TSB4102', `unsupported manifest media type ${d.mediaType} for ${d.digest}`);
  const m = parseJson<ImageManifest>(bytes, d);
  const blobs = new Map<Digest, Descriptor>();
  for (const b of [m.config, ...(m.layers ?? [])]) {
    // Foreign layers (with URLs) that were never fetched stay where their URLs point, as Docker does.
    if (b.urls !== undefined && b.urls.length > 0 && !(await opts.content.has(b.digest))) continue;
    blobs.set(b.digest, b);
  }
  const queue = new PQueue({ concurrency: Math.max(1, opts.concurrency ?? 3) });
  const same = t.repo.domain;
  await Promise.all(
    [...blobs.values()].map((b) =>
      queue.add(async () => {
        const from = (await blobSources(opts.content.root, b.digest))
          .map((name) => parseReference(name))
          .filter((r) => r.domain === same && r.path !== t.repo.path)
          .map((r) => r.path);
        const outcome = await pushBlob(t, b, from.slice(0, 3));
        opts.onBlob?.(b, outcome, t.repo.name);
        held.push(b.digest);
      }),
    ),
  );
  return held;
}

function targetsByRepo(refs: string[], manifest: Descriptor): Map<string, { repo: ImageReference; references: string[] }> {
  const out = new Map<string, { repo: ImageReference; references: string[] }>();
  for (const text of refs) {
    const ref = parseReference(text);
    if (ref.digest !== undefined && ref.digest !== manifest.digest) {
      throw new TsbuildError('TSB4104', `cannot push ${manifest.digest} as ${text}: the reference pins another digest`);
    }
    const entry = out.get(ref.name) ?? { repo: ref, references: [] };
    entry.references.push(ref.tag ?? manifest.digest);
    out.set(ref.name, entry);
  }
  return out;
}

/** Pushes a manifest or index from the content store to every reference in `opts.refs`. */
export async function pushImage(opts: PushOptions): Promise<void> {
  if (opts.refs.length === 0) throw new TsbuildError('TSB4104', 'nothing to push to: no reference given');
  const targets = targetsByRepo(opts.refs, opts.manifest);
  const session = new Session(opts);
  try {
    const root = await opts.content.readBuffer(opts.manifest.digest, opts.signal);
    const threshold = opts.chunkThreshold ?? DEFAULT_CHUNK_THRESHOLD;
    for (const { repo, references } of targets.values()) {
      const t: BlobTarget = {
        client: session.client(repo.domain),
        repo,
        content: opts.content,
        chunkThreshold: threshold,
        chunkSize: Math.max(1, opts.chunkSize ?? threshold),
      };
      const held = await pushTree(t, opts, opts.manifest, 0);
      for (const reference of [...new Set(references)]) await putManifest(t, opts.manifest, root, reference);
      await recordBlobSources(opts.content.root, [...held, opts.manifest.digest], repo.name, opts.signal).catch(() => undefined);
    }
  } finally {
    session.close();
  }
}
