// build(): Dockerfile + context → solved steps → image in the store and every requested output.
import { mkdirSync, promises as fsp, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { blake3Hex, TsbuildError, writeFileAtomic, type Descriptor, type Platform } from '../core/index.js';
import { CacheStore, ContentStore, RefStore, type CachePreimage, type CacheRecord } from '../content/index.js';
import { contextFromTarOrDockerfile, StatCache } from '../context/index.js';
import { topoOrder, type Vertex } from '../graph/index.js';
import { createRuncExecutor, type Executor } from '../executor/index.js';
import { parseReference } from '../image/index.js';
import type { Compression } from '../layer/index.js';
import { parseDockerfile, type ParseWarning } from '../parser/index.js';
import { hostPlatform, plan, type PlanWarning } from '../planner/index.js';
import { createSnapshotter } from '../snapshotter/index.js';
import { pushImage } from '../registry/index.js';
import { solve, type OpResult, type ProgressSink } from '../solver/index.js';
import { createCacheLookup, createWorker, explainMiss, withView, type MissExplanation, type WorkerDeps } from '../worker/index.js';
import { assembleImage } from './assemble.js';
import { readDockerfile } from './dockerfile.js';
import { exportCache, importCache, parseCacheSpec } from './cache-io.js';
import { exportedRecords } from './chains.js';
import { openContexts } from './contexts.js';
import { exportImage, exportLocal, exportTar, parseOutput } from './outputs.js';
import { createImageResolver } from './resolver.js';
import { removeScratch } from './scratch.js';
import { storeLayout } from './store.js';
import { autoGc } from './gc.js';
import { acquireLease } from './lease.js';

export interface BuildOptions {
  root: string;
  /** Context directory, or '-' to read a tar or a lone Dockerfile from `stdin`. */
  context: string;
  stdin?: Readable;
  /** Dockerfile path (relative to cwd); default `<context>/Dockerfile`. */
  file?: string;
  cwd: string;
  tags: string[];
  buildArgs: Record<string, string>;
  target?: string;
  outputs: string[];
  buildContexts: string[];
  labels: Record<string, string>;
  noCache: boolean;
  /** Stages whose steps must not be served from cache (`--no-cache-filter`). */
  noCacheFilter: string[];
  /** Collect, for every step that misses, why (`--explain`). */
  explain: boolean;
  progress: ProgressSink;
  iidfile?: string;
  metadataFile?: string;
  compression: Compression;
  platform?: Platform;
  snapshotter: 'overlay' | 'native' | 'auto';
  runtime?: string;
  limits: { memoryBytes?: number; cpus?: number; pids?: number };
  secrets: ReadonlyMap<string, Buffer>;
  allowInsecure: boolean;
  jobs: number;
  sourceDateEpoch?: number;
  /** `--cache-to` / `--cache-from` specifications. */
  cacheTo: string[];
  cacheFrom: string[];
  /** Push the image to the registry of each name (`--push`). */
  push: boolean;
  registry: { insecureRegistries: string[]; caFiles: string[] };
  /** Non-fatal notices (e.g. an unreadable --cache-from). */
  warn?: (message: string) => void;
  /** After a successful build, prune LRU cache records while the store exceeds this many bytes; 0 disables; default 10% of its file system, at most 20 GiB. */
  maxCacheSize?: number;
  signal?: AbortSignal;
}

export interface BuildResult {
  manifest: Descriptor;
  config: Descriptor;
  names: string[];
  warnings: Array<ParseWarning | PlanWarning>;
  explanations: MissExplanation[];
}

function createdTime(epoch: number | undefined): string {
  const d = epoch === undefined ? new Date() : new Date(epoch * 1000);
  return d.toISOString().replace(/\.000Z$/, 'Z');
}


/** Runs a build under a lease (so concurrent GC spares its data), then auto-GC if the store is over its cap. */
export async function build(o: BuildOptions): Promise<BuildResult> {
  const lease = await acquireLease(o.root);
  let result: BuildResult;
  try {
    result = await buildLeased(o);
  } finally {
    await lease.release();
  }
  if (o.maxCacheSize !== 0) {
    await autoGc({ root: o.root, ...(o.maxCacheSize !== undefined ? { maxSize: o.maxCacheSize } : {}) })
      .catch((e: unknown) => o.warn?.(`automatic cache GC failed: ${e instanceof Error ? e.message : String(e)}`));
  }
  return result;
}

async function buildLeased(o: BuildOptions): Promise<BuildResult> {
  const layout = storeLayout(o.root);
  const content = new ContentStore(layout.content);
  const refs = new RefStore(layout.refs);
  const tmpDir = path.join(layout.tmp, `build-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmpDir, { recursive: true });
  // Background hashing of context files stops with the build, whatever its outcome.
  const hashing = new AbortController();
  try {
    let contextDir = path.resolve(o.cwd, o.context);
    let stdinDockerfile: string | undefined;
    if (o.context === '-') {
      if (!o.stdin) throw new TsbuildError('TSB9001', 'context "-" needs a tar or a Dockerfile on standard input');
      const got = await contextFromTarOrDockerfile(o.stdin, path.join(tmpDir, 'stdin-context'));
      contextDir = got.dir;
      if (got.dockerfile) stdinDockerfile = await fsp.readFile(got.dockerfile, 'utf8');
    } else if (!statSync(contextDir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new TsbuildError('TSB2108', `build context ${contextDir} is not a directory`);
    }
    const df = await readDockerfile(o, contextDir, stdinDockerfile);
    const registryOpts = { insecureRegistries: o.registry.insecureRegistries, caFiles: o.registry.caFiles, env: process.env, ...(o.signal ? { signal: o.signal } : {}) };
    const parsed = parseDockerfile(df.text, df.file);
    const { specs, contexts } = await openContexts(contextDir, df.file, o.buildContexts, o.cwd);

    const platform = o.platform ?? hostPlatform();
    const created = createdTime(o.sourceDateEpoch);
    const p = await plan(parsed.dockerfile, {
      buildArgs: o.buildArgs, platform, buildPlatform: hostPlatform(), labels: o.labels, buildContexts: specs, created,
      images: createImageResolver({ content, refs, contexts: specs, registry: registryOpts, ...(o.signal ? { signal: o.signal } : {}) }),
      ...(o.target !== undefined ? { target: o.target } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const outputs = o.outputs.map(parseOutput);
    const names = [...o.tags, ...outputs.flatMap((x) => (x.type === 'image' ? x.names : []))].map((t) => parseReference(t).toString());
    const pushNames = o.push ? names : outputs.flatMap((x) => (x.type === 'image' && x.push ? x.names.map((t) => parseReference(t).toString()) : []));
    if ((o.push || outputs.some((x) => x.type === 'image' && x.push)) && pushNames.length === 0) throw new TsbuildError('TSB9001', '--push needs at least one image name (-t or name=)');
    const cacheTo = o.cacheTo.map((c) => parseCacheSpec(c, '--cache-to', o.cwd));
    const imported = await importCache(o.cacheFrom.map((c) => parseCacheSpec(c, '--cache-from', o.cwd)), { content, registry: registryOpts, warn: o.warn ?? (() => undefined) });

    const snapshotter = await createSnapshotter({ kind: o.snapshotter, root: layout.snapshots });
    let executor: Promise<Executor> | undefined;
    const deps: WorkerDeps = {
      snapshotter, content, contexts, compression: o.compression, tmpDir, logDir: layout.logs, cacheMountsDir: layout.cacheMounts,
      secrets: o.secrets, limits: o.limits, allowInsecure: o.allowInsecure,
      executor: () => (executor ??= createRuncExecutor({ stateDir: layout.runc, tmpDir, ...(o.runtime ? { runtime: o.runtime } : {}) })),
      ...(o.sourceDateEpoch !== undefined ? { sourceDateEpoch: o.sourceDateEpoch } : {}),
      ensureBlobs: async (layers) => {
        if (!(await imported.fetch(layers))) throw new TsbuildError('TSB4002', `layers ${layers.map((l) => l.digest).join(', ')} are neither in the store nor in any --cache-from source`);
      },
    };
    const worker = createWorker(deps);
    const statCaches = new Map<string, StatCache>();
    for (const [name, ctx] of contexts) statCaches.set(name, await StatCache.open(path.join(layout.statCache, `${blake3Hex(ctx.root).slice(0, 32)}.json`)));
    const explanations: MissExplanation[] = [];
    const cache = createCacheLookup({
      worker: deps, store: new CacheStore(layout.root), statCaches, remote: imported, snapshotHashDir: path.join(layout.statCache, 'snapshots'),
      ...(o.explain ? { onMiss: (v: Vertex, now: CachePreimage, before: CacheRecord | undefined) => void explanations.push(explainMiss(v, now, before)) } : {}),
    });
    const filter = new Set(o.noCacheFilter.map((f) => f.toLowerCase()));
    cache.prefetch(topoOrder([p.target.root]), hashing.signal);
    const solved = new Map<string, { v: Vertex; key: string; result: OpResult }>();
    const results = await solve([p.target.root], {
      runner: worker, progress: o.progress, jobs: o.jobs, cache,
      onSolved: (v, key, result) => void solved.set(v.digest, { v, key, result }),
      noCache: (v) => o.noCache || filter.has(v.meta.stage.toLowerCase()),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    await cache.settle();
    for (const sc of statCaches.values()) await sc.save();
    const image = await assembleImage(content, p.target, results, { now: created, fixed: o.sourceDateEpoch !== undefined });
    // Layers that came from an imported cache are fetched now: outputs and tags need every blob.
    await deps.ensureBlobs?.(image.layers, o.signal);

    for (const out of outputs) {
      if (out.type === 'oci' || out.type === 'docker') await exportImage(out, { content, manifest: image.manifest, names, ...(o.signal ? { signal: o.signal } : {}) });
      if (out.type === 'local' || out.type === 'tar') {
        const root = results.get(p.target.root.digest);
        await withView(
          deps,
          root,
          (dir) => (out.type === 'local' ? exportLocal(dir, path.resolve(o.cwd, out.dest)) : exportTar(dir, out.dest === '-' ? '-' : path.resolve(o.cwd, out.dest), o.sourceDateEpoch)),
        );
      }
    }
    if (pushNames.length > 0) await pushImage({ ...registryOpts, content, manifest: image.manifest, refs: pushNames });
    for (const spec of cacheTo) {
      const records = await exportedRecords(deps, [...solved.values()], spec.mode === 'max' ? undefined : new Set(p.target.layerVertices.map((v) => v.digest)));
      await exportCache(spec, { content, records, registry: registryOpts, ensureBlobs: (d) => deps.ensureBlobs?.(d, o.signal) ?? Promise.resolve() });
    }
    // Tags last: a failed build or export never moves a tag.
    for (const n of names) await refs.set(n, image.manifest);
    if (o.iidfile) await writeFileAtomic(path.resolve(o.cwd, o.iidfile), image.config.digest);
    if (o.metadataFile) {
      const meta = {
        'containerimage.digest': image.manifest.digest,
        'containerimage.config.digest': image.config.digest,
        'containerimage.descriptor': image.manifest,
        ...(names.length ? { 'image.name': names.join(',') } : {}),
      };
      await writeFileAtomic(path.resolve(o.cwd, o.metadataFile), `${JSON.stringify(meta, null, 2)}\n`);
    }
    return { manifest: image.manifest, config: image.config, names, warnings: [...parsed.warnings, ...p.warnings], explanations };
  } finally {
    hashing.abort();
    await removeScratch(tmpDir);
  }
}
