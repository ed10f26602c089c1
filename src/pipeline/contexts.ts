// `--build-context NAME=SRC`: a local directory or an OCI layout (`oci-layout:///path[:tag|@digest]`).
import path from 'node:path';
import { TsbuildError, isDigest, type Digest } from '../core/index.js';
import { openContext, type BuildContext } from '../context/index.js';
import type { BuildContextSpec } from '../planner/index.js';

export function parseBuildContext(spec: string, cwd: string): [string, BuildContextSpec] {
  const i = spec.indexOf('=');
  if (i <= 0) throw new TsbuildError('TSB2011', `invalid --build-context "${spec}": expected NAME=SOURCE`);
  const name = spec.slice(0, i).toLowerCase();
  const src = spec.slice(i + 1);
  if (src.startsWith('oci-layout://')) {
    let rest = src.slice('oci-layout://'.length);
    let digest: Digest | undefined;
    let tag: string | undefined;
    const at = rest.lastIndexOf('@');
    if (at >= 0) {
      const d = rest.slice(at + 1);
      if (!isDigest(d)) throw new TsbuildError('TSB2011', `invalid --build-context "${spec}": bad digest "${d}"`);
      digest = d;
      rest = rest.slice(0, at);
    } else {
      const lastSlash = rest.lastIndexOf('/');
      const colon = rest.lastIndexOf(':');
      if (colon > lastSlash) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
      }
    }
    const dir = path.resolve(cwd, rest);
    return [name, { kind: 'oci-layout', dir, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) }];
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(src)) {
    throw new TsbuildError('TSB2009', `--build-context ${name}: source "${src}" is not supported yet (use a directory or oci-layout://)`);
  }
  return [name, { kind: 'dir', dir: path.resolve(cwd, src) }];
}

/** The main context (with the Dockerfile's own .dockerignore) and every `--build-context NAME=DIR`, opened. */
export async function openContexts(
  contextDir: string,
  dockerfile: string,
  buildContexts: readonly string[],
  cwd: string,
): Promise<{ specs: Record<string, BuildContextSpec>; contexts: Map<string, BuildContext> }> {
  const specs: Record<string, BuildContextSpec> = {};
  for (const s of buildContexts) {
    const [name, spec] = parseBuildContext(s, cwd);
    specs[name] = spec;
  }
  const contexts = new Map<string, BuildContext>();
  contexts.set('', await openContext(contextDir, { dockerfile: path.resolve(dockerfile) }));
  for (const [name, spec] of Object.entries(specs)) if (spec.kind === 'dir') contexts.set(name, await openContext(spec.dir));
  return { specs, contexts };
}
