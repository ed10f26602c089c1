// Where blobs came from or went to (`registry/repo` names), so a push can mount instead of upload.
import path from 'node:path';
import { readJsonFile, writeFileAtomic, type Digest } from '../core/index.js';
import { withLock } from '../content/index.js';

interface SourcesFile {
  version: 1;
  blobs: Record<string, string[]>;
}

const PER_BLOB = 4;
const MAX_BLOBS = 20_000;

function files(root: string): { file: string; lock: string } {
  return { file: path.join(root, 'registry-sources.json'), lock: path.join(root, 'registry-sources.lock') };
}

async function load(file: string): Promise<Record<string, string[]>> {
  // The record is only a hint: a damaged file is treated as empty and rewritten.
  const data = await readJsonFile<SourcesFile>(file).catch(() => undefined);
  return data && typeof data.blobs === 'object' && data.blobs !== null ? data.blobs : {};
}

/** Repositories (`domain/path`) known to hold `digest`, most recent first. */
export async function blobSources(root: string, digest: Digest): Promise<string[]> {
  const v = (await load(files(root).file))[digest];
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

/** Notes that `repo` holds each of `digests`. */
export async function recordBlobSources(root: string, digests: readonly Digest[], repo: string, signal?: AbortSignal): Promise<void> {
  if (digests.length === 0) return;
  const { file, lock } = files(root);
  await withLock(
    lock,
    async () => {
      const blobs = await load(file);
      for (const d of digests) {
        const prev = (blobs[d] ?? []).filter((r) => r !== repo);
        delete blobs[d];
        blobs[d] = [repo, ...prev].slice(0, PER_BLOB);
      }
      const keys = Object.keys(blobs);
      // Insertion order is recency order (entries are re-inserted when touched), so the oldest go first.
      for (const k of keys.slice(0, Math.max(0, keys.length - MAX_BLOBS))) delete blobs[k];
      const body: SourcesFile = { version: 1, blobs };
      await writeFileAtomic(file, JSON.stringify(body));
    },
    signal ? { signal } : {},
  );
}
