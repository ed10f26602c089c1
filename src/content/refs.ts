// Image tags: normalized reference name → manifest descriptor, in one crash-safe, lock-protected file.
import path from 'node:path';
import { TsbuildError, isDigest, readJsonFile, writeFileAtomic, type Descriptor } from '../core/index.js';
import { withLock, type LockOptions } from '../core/index.js';

interface RefsFile {
  version: 1;
  refs: Record<string, Descriptor>;
}

export interface RefEntry {
  name: string;
  descriptor: Descriptor;
}

function isDescriptor(v: unknown): v is Descriptor {
  if (!v || typeof v !== 'object') return false;
  const d = v as Partial<Descriptor>;
  return typeof d.mediaType === 'string' && typeof d.digest === 'string' && isDigest(d.digest) && typeof d.size === 'number';
}

/**
 * Named references to manifests, stored in `<root>/refs.json`.
 *
 * Readers see either the old or the new file (writeFileAtomic); writers serialize their
 * read-modify-write through `<root>/refs.lock`, so several processes may share one root.
 */
export class RefStore {
  readonly file: string;
  readonly lockFile: string;

  constructor(root: string, private readonly lockOpts: LockOptions = {}) {
    this.file = path.join(path.resolve(root), 'refs.json');
    this.lockFile = path.join(path.resolve(root), 'refs.lock');
  }

  private async load(): Promise<Record<string, Descriptor>> {
    let data: RefsFile | undefined;
    try {
      data = await readJsonFile<RefsFile>(this.file);
    } catch (e) {
      throw new TsbuildError('TSB4005', `image references file ${this.file} is unreadable`, { cause: e });
    }
    if (data === undefined) return {};
    if (!data || typeof data !== 'object' || typeof data.refs !== 'object' || data.refs === null) {
      throw new TsbuildError('TSB4005', `image references file ${this.file} has an unexpected shape`);
    }
    for (const [name, desc] of Object.entries(data.refs)) {
      if (!isDescriptor(desc)) throw new TsbuildError('TSB4005', `image reference ${name} in ${this.file} is not a valid descriptor`);
    }
    return data.refs;
  }

  private async update(change: (refs: Record<string, Descriptor>) => boolean, signal?: AbortSignal): Promise<void> {
    await withLock(
      this.lockFile,
      async () => {
        const refs = await this.load();
        if (!change(refs)) return;
        const sorted: Record<string, Descriptor> = {};
        for (const k of Object.keys(refs).sort()) {
          const v = refs[k];
          if (v) sorted[k] = v;
        }
        const body: RefsFile = { version: 1, refs: sorted };
        await writeFileAtomic(this.file, `${JSON.stringify(body, null, 2)}\n`);
      },
      signal ? { ...this.lockOpts, signal } : this.lockOpts,
    );
  }

  async get(name: string): Promise<Descriptor | undefined> {
    return (await this.load())[name];
  }

  async set(name: string, desc: Descriptor, signal?: AbortSignal): Promise<void> {
    if (!isDescriptor(desc)) throw new TsbuildError('TSB4005', `refusing to store an invalid descriptor for ${name}`);
    const copy: Descriptor = { ...desc };
    // A rebuild served from cache tags the same image again: nothing to write, no lock to take.
    if (sameDescriptor((await this.load())[name], copy)) return;
    await this.update((refs) => {
      refs[name] = copy;
      return true;
    }, signal);
  }

  /** Removes a reference; returns whether it existed. */
  async delete(name: string, signal?: AbortSignal): Promise<boolean> {
    let existed = false;
    await this.update((refs) => {
      existed = name in refs;
      delete refs[name];
      return existed;
    }, signal);
    return existed;
  }

  async list(): Promise<RefEntry[]> {
    const refs = await this.load();
    return Object.keys(refs)
      .sort()
      .flatMap((name) => {
        const descriptor = refs[name];
        return descriptor ? [{ name, descriptor }] : [];
      });
  }
}

function sameDescriptor(a: Descriptor | undefined, b: Descriptor): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
