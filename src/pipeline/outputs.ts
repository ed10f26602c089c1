// `--output` specifications (buildx syntax) and the exporters that write them.
import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { tempName, TsbuildError, type Descriptor } from '../core/index.js';
import type { ContentStore } from '../content/index.js';
import { parseReference, writeDockerArchive, writeOciLayout, writeOciTar } from '../image/index.js';
import { diffTrees } from '../layer/index.js';

export type OutputSpec =
  | { type: 'image'; names: string[]; push: boolean }
  | { type: 'oci' | 'docker'; dest: string; tar: boolean; names: string[] }
  | { type: 'local'; dest: string }
  | { type: 'tar'; dest: string };

/** Parses `type=oci,dest=out.tar`, `type=local,dest=dir`, or the shorthand `-o DIR` / `-o -`. */
export function parseOutput(spec: string): OutputSpec {
  if (!spec.includes('=')) return spec === '-' ? { type: 'tar', dest: '-' } : { type: 'local', dest: spec };
  const kv = new Map<string, string>();
  for (const part of spec.split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) throw new TsbuildError('TSB4006', `invalid --output "${spec}": expected key=value pairs`);
    kv.set(part.slice(0, i).trim().toLowerCase(), part.slice(i + 1).trim());
  }
  const type = kv.get('type') ?? 'local';
  const dest = kv.get('dest');
  const names = (kv.get('name') ?? '').split(/[,\s]+/).filter(Boolean);
  const bool = (k: string, dflt: boolean): boolean => {
    const v = kv.get(k);
    if (v === undefined) return dflt;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw new TsbuildError('TSB4006', `invalid --output "${spec}": ${k} must be true or false`);
  };
  const needDest = (): string => {
    if (!dest) throw new TsbuildError('TSB4006', `invalid --output "${spec}": type=${type} needs dest=`);
    return dest;
  };
  switch (type) {
    case 'image':
    case 'registry':
      return { type: 'image', names, push: type === 'registry' || bool('push', false) };
    case 'oci':
    case 'docker':
      return { type, dest: needDest(), tar: bool('tar', true), names };
    case 'local':
      return { type: 'local', dest: needDest() };
    case 'tar':
      return { type: 'tar', dest: needDest() };
    default:
      throw new TsbuildError('TSB4006', `invalid --output "${spec}": unknown type "${type}" (image, oci, docker, local, tar)`);
  }
}

/** Writes `fill` to a temp file next to `dest` and renames it into place, so `dest` is never half-written. */
async function atomicFile(dest: string, fill: (out: Writable) => Promise<void>): Promise<void> {
  if (dest === '-') return fill(process.stdout);
  const abs = path.resolve(dest);
  await fsp.mkdir(path.dirname(abs), { recursive: true });
  const tmp = tempName(abs);
  try {
    const out = createWriteStream(tmp);
    const done = new Promise<void>((resolve, reject) => {
      out.on('finish', resolve);
      out.on('error', reject);
    });
    await fill(out);
    await done;
    await fsp.rename(tmp, abs);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw new TsbuildError('TSB4007', `could not write ${dest}: ${(e as Error).message}`, { cause: e });
  }
}

export interface ImageExport {
  content: ContentStore;
  manifest: Descriptor;
  /** Normalized names (`docker.io/library/app:1`) from -t and name=. */
  names: string[];
  signal?: AbortSignal;
}

export async function exportImage(spec: Extract<OutputSpec, { type: 'oci' | 'docker' }>, x: ImageExport): Promise<void> {
  const names = [...x.names, ...spec.names.map((n) => parseReference(n).toString())];
  const signal = x.signal ? { signal: x.signal } : {};
  if (spec.type === 'oci') {
    const manifests = names.length > 0 ? names.map((n) => ({ descriptor: x.manifest, refName: n })) : [{ descriptor: x.manifest }];
    if (!spec.tar) return writeOciLayout(path.resolve(spec.dest), { content: x.content, manifests, ...signal });
    return atomicFile(spec.dest, (out) => writeOciTar(out, { content: x.content, manifests, ...signal }));
  }
  const repoTags = names.map((n) => parseReference(n).familiar);
  return atomicFile(spec.dest, (out) => writeDockerArchive(out, { content: x.content, images: [{ manifest: x.manifest, repoTags }], ...signal }));
}

/** type=local: the final filesystem copied into a directory. */
export async function exportLocal(rootfs: string, dest: string): Promise<void> {
  await fsp.mkdir(dest, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const p = spawn('cp', ['-a', '--', `${rootfs}/.`, dest], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new TsbuildError('TSB4007', `could not copy the result to ${dest}: ${err.trim()}`))));
  });
}

/** type=tar: the final filesystem as one tar (deterministic, like a layer with no parent). */
export async function exportTar(rootfs: string, dest: string, sourceDateEpoch?: number): Promise<void> {
  await atomicFile(dest, (out) => pipeline(diffTrees(undefined, rootfs, sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}), out, { end: dest !== '-' }));
}
