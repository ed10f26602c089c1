// Shared pieces of the RUN end-to-end tests: busybox contexts, builds, step output and OCI tar reading.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, lstatSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { busyboxPath } from '../helpers/env.js';
import { tsbuild, type CliResult } from '../helpers/cli.js';

/** A busybox userland on an empty base: every RUN test starts from this. */
export const BASE = `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox","--install","-s","/bin"]
`;

/** Writes a context holding busybox and `dockerfile` (plus any extra files); returns its path. */
export function busyboxContext(dir: string, dockerfile: string, files: Record<string, string> = {}): string {
  mkdirSync(dir, { recursive: true });
  copyFileSync(busyboxPath, path.join(dir, 'busybox'));
  writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** `tsbuild --root ROOT build --progress plain ARGS... CTX`. */
export function build(root: string, ctx: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return tsbuild(['--root', root, 'build', '--progress', 'plain', ...args, ctx], { cwd: ctx, env });
}

/** The output lines of steps in plain progress (`#N 0.123 text`), without the prefix. */
export function outputLines(stderr: string): string[] {
  const out: string[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^#\d+ \d+\.\d+ (.*)$/.exec(line);
    if (m) out.push(m[1] ?? '');
  }
  return out;
}

/** The value printed by a step as `name=value` (first match). */
export function printed(stderr: string, name: string): string | undefined {
  const prefix = `${name}=`;
  return outputLines(stderr).find((l) => l.startsWith(prefix))?.slice(prefix.length);
}

export function sh(cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  return execFileSync(cmd, args, { cwd: opts.cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface OciImage {
  dir: string;
  manifest: { layers: Array<{ digest: string; mediaType: string }>; config: { digest: string } };
  config: { config: { Env?: string[]; User?: string; WorkingDir?: string }; history?: Array<{ created_by?: string }>; rootfs: { diff_ids: string[] } };
}

function blobPath(dir: string, digest: string): string {
  return path.join(dir, 'blobs', ...digest.split(':'));
}

/** Unpacks an OCI tarball into `dir` and reads its (single) manifest and config. */
export function readOciTar(tar: string, dir: string): OciImage {
  mkdirSync(dir, { recursive: true });
  sh('tar', ['-xf', tar, '-C', dir]);
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const top = index.manifests[0]?.digest;
  if (!top) throw new Error(`${tar}: index.json lists no manifest`);
  const manifest = JSON.parse(readFileSync(blobPath(dir, top), 'utf8')) as OciImage['manifest'];
  const config = JSON.parse(readFileSync(blobPath(dir, manifest.config.digest), 'utf8')) as OciImage['config'];
  return { dir, manifest, config };
}

/** Entry names of a layer blob in an unpacked OCI tarball, in archive order. */
export function layerEntries(img: OciImage, index: number): string[] {
  const layer = img.manifest.layers.at(index);
  if (!layer) throw new Error(`no layer ${index}`);
  return sh('tar', ['-tzf', blobPath(img.dir, layer.digest)]).split('\n').filter(Boolean);
}

/** Every path below `root`, relative, sorted (directories without a trailing slash). */
export function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const n of readdirSync(dir)) {
      const r = rel ? `${rel}/${n}` : n;
      out.push(r);
      if (lstatSync(path.join(dir, n)).isDirectory()) walk(path.join(dir, n), r);
    }
  };
  walk(root, '');
  return out.sort();
}

/** Every file below `root` whose bytes (or gunzipped bytes) contain `needle`. */
export function filesContaining(root: string, needle: string): string[] {
  const hits: string[] = [];
  const want = Buffer.from(needle);
  const walk = (dir: string): void => {
    for (const n of readdirSync(dir)) {
      const p = path.join(dir, n);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        const bytes = readFileSync(p);
        let found = bytes.includes(want);
        if (!found && bytes[0] === 0x1f && bytes[1] === 0x8b) {
          try {
            found = gunzipSync(bytes).includes(want);
          } catch {
            // not gzip after all
          }
        }
        if (found) hits.push(p);
      }
    }
  };
  walk(root);
  return hits;
}
