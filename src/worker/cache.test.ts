// Cache-key table tests: pairs of builds that must, and must not, share keys.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Digest } from '../core/index.js';
import { CacheStore } from '../content/index.js';
import { openContext, StatCache, type BuildContext } from '../context/index.js';
import { topoOrder, type Vertex } from '../graph/index.js';
import { parseDockerfile } from '../parser/index.js';
import { plan, type ResolvedImage } from '../planner/index.js';
import { createCacheLookup } from './cache.js';
import type { WorkerDeps } from './deps.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tsb-keys-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

interface Setup {
  dockerfile: string;
  files?: Record<string, string>;
  modes?: Record<string, number>;
  ignore?: string;
  buildArgs?: Record<string, string>;
  baseDigest?: string;
  /** Mutates the context after it is written (mtimes, order). */
  after?: (dir: string) => void;
}

function image(digest: string): ResolvedImage {
  return {
    ref: 'docker.io/library/base:1',
    manifest: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest as Digest, size: 1 },
    config: { architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin'] }, rootfs: { type: 'layers', diff_ids: [] } },
    origin: { kind: 'store' },
  };
}

/** Cache keys of every step of the target stage, in order (FROM first). */
async function keys(s: Setup): Promise<string[]> {
  const dir = path.join(tmp, `ctx${n++}`);
  mkdirSync(dir);
  for (const [f, content] of Object.entries(s.files ?? { 'a.txt': 'A', 'b.txt': 'B' })) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), content);
    chmodSync(path.join(dir, f), s.modes?.[f] ?? 0o644);
  }
  if (s.ignore) writeFileSync(path.join(dir, '.dockerignore'), s.ignore);
  s.after?.(dir);
  const { dockerfile } = parseDockerfile(s.dockerfile, path.join(dir, 'Dockerfile'));
  const p = await plan(dockerfile, {
    buildArgs: s.buildArgs ?? {}, platform: { os: 'linux', architecture: 'amd64' }, buildPlatform: { os: 'linux', architecture: 'amd64' },
    labels: {}, buildContexts: {}, created: '2000-01-01T00:00:00Z',
    images: { resolve: async () => image(s.baseDigest ?? `sha256:${'1'.repeat(64)}`) },
  });
  const ctx: BuildContext = await openContext(dir);
  const deps = { contexts: new Map([['', ctx]]) } as unknown as WorkerDeps;
  const lookup = createCacheLookup({ worker: deps, store: new CacheStore(path.join(tmp, 'store')), statCaches: new Map([['', await StatCache.open(undefined)]]) });
  const byDigest = new Map<string, string>();
  const signal = new AbortController().signal;
  for (const v of topoOrder([p.target.root])) byDigest.set(v.digest, await lookup.key(v, v.inputs.map((i) => byDigest.get(i.digest) ?? ''), signal));
  const chain: Vertex[] = [];
  for (let v: Vertex | undefined = p.target.root; v; v = v.inputs[0]) chain.unshift(v);
  return chain.map((v) => byDigest.get(v.digest) ?? '');
}

const COPY_RUN = 'FROM base:1\nCOPY a.txt /a\nRUN cat /a\n';

describe('cache keys: one change → a miss from that step on', () => {
  const cases: Array<[string, Setup, Setup, number]> = [
    // [what, first, second, index of the first step whose key must differ]
    ['one byte of a copied file', { dockerfile: COPY_RUN }, { dockerfile: COPY_RUN, files: { 'a.txt': 'a', 'b.txt': 'B' } }, 1],
    ['the mode of a copied file', { dockerfile: COPY_RUN }, { dockerfile: COPY_RUN, modes: { 'a.txt': 0o755 } }, 1],
    ['a COPY flag', { dockerfile: COPY_RUN }, { dockerfile: 'FROM base:1\nCOPY --chmod=600 a.txt /a\nRUN cat /a\n' }, 1],
    ['--chown', { dockerfile: COPY_RUN }, { dockerfile: 'FROM base:1\nCOPY --chown=1:1 a.txt /a\nRUN cat /a\n' }, 1],
    ['the destination', { dockerfile: COPY_RUN }, { dockerfile: 'FROM base:1\nCOPY a.txt /b\nRUN cat /a\n' }, 1],
    ['a renamed source', { dockerfile: COPY_RUN }, { dockerfile: COPY_RUN.replace('a.txt', 'c.txt'), files: { 'c.txt': 'A' } }, 1],
    ['the base image digest', { dockerfile: COPY_RUN }, { dockerfile: COPY_RUN, baseDigest: `sha256:${'2'.repeat(64)}` }, 0],
    ['an ENV value', { dockerfile: 'FROM base:1\nENV X=1\nCOPY a.txt /a\nRUN true\n' }, { dockerfile: 'FROM base:1\nENV X=2\nCOPY a.txt /a\nRUN true\n' }, 2],
    ['the RUN command', { dockerfile: COPY_RUN }, { dockerfile: 'FROM base:1\nCOPY a.txt /a\nRUN cat  /a\n' }, 2],
    ['RUN --network', { dockerfile: COPY_RUN }, { dockerfile: 'FROM base:1\nCOPY a.txt /a\nRUN --network=none cat /a\n' }, 2],
    ['a RUN mount', { dockerfile: 'FROM base:1\nRUN --mount=type=cache,target=/c true\n' }, { dockerfile: 'FROM base:1\nRUN --mount=type=cache,target=/d true\n' }, 1],
    ['USER', { dockerfile: 'FROM base:1\nUSER a\nRUN true\n' }, { dockerfile: 'FROM base:1\nUSER b\nRUN true\n' }, 1],
    ['WORKDIR', { dockerfile: 'FROM base:1\nWORKDIR /a\nRUN true\n' }, { dockerfile: 'FROM base:1\nWORKDIR /b\nRUN true\n' }, 1],
    ['SHELL', { dockerfile: 'FROM base:1\nRUN true\n' }, { dockerfile: 'FROM base:1\nSHELL ["/bin/bash","-c"]\nRUN true\n' }, 1],
    ['a build arg used by RUN (only from that step)', { dockerfile: 'FROM base:1\nARG V=1\nCOPY a.txt /a\nRUN echo $V\n' }, { dockerfile: 'FROM base:1\nARG V=1\nCOPY a.txt /a\nRUN echo $V\n', buildArgs: { V: '2' } }, 2],
    ['a build arg expanded in COPY', { dockerfile: 'FROM base:1\nARG F=a.txt\nCOPY $F /a\n' }, { dockerfile: 'FROM base:1\nARG F=a.txt\nCOPY $F /a\n', buildArgs: { F: 'b.txt' } }, 1],
  ];
  for (const [what, a, b, from] of cases) {
    it(what, async () => {
      const ka = await keys(a);
      const kb = await keys(b);
      expect(ka.length).toBe(kb.length);
      for (let i = 0; i < ka.length; i++) {
        if (i < from) expect(kb[i], `step ${i} must hit`).toBe(ka[i]);
        else expect(kb[i], `step ${i} must miss`).not.toBe(ka[i]);
      }
    });
  }
});

describe('cache keys: changes that must not matter', () => {
  const same: Array<[string, Setup, Setup]> = [
    ['touched mtimes', { dockerfile: COPY_RUN }, { dockerfile: COPY_RUN, after: (d) => utimesSync(path.join(d, 'a.txt'), 12345, 12345) }],
    ['an unrelated file added, files created in another order', { dockerfile: COPY_RUN }, { dockerfile: COPY_RUN, files: { 'z.txt': 'Z', 'b.txt': 'B', 'a.txt': 'A' } }],
    ['a change in an unselected file', { dockerfile: COPY_RUN }, { dockerfile: COPY_RUN, files: { 'a.txt': 'A', 'b.txt': 'changed' } }],
    ['a change in a .dockerignored file under a copied dir', { dockerfile: 'FROM base:1\nCOPY . /app\n', files: { 'a.txt': 'A', 'log/x.log': '1' }, ignore: 'log\n' }, { dockerfile: 'FROM base:1\nCOPY . /app\n', files: { 'a.txt': 'A', 'log/x.log': '2' }, ignore: 'log\n' }],
    ['an undeclared proxy build arg', { dockerfile: COPY_RUN }, { dockerfile: COPY_RUN, buildArgs: { HTTP_PROXY: 'http://p:3128' } }],
    ['a declared but unused ARG before COPY', { dockerfile: 'FROM base:1\nARG V=1\nCOPY a.txt /a\n' }, { dockerfile: 'FROM base:1\nARG V=1\nCOPY a.txt /a\n', buildArgs: { V: '2' } }],
    ['a secret mount is keyed by id, not content', { dockerfile: 'FROM base:1\nRUN --mount=type=secret,id=s true\n' }, { dockerfile: 'FROM base:1\nRUN --mount=type=secret,id=s true\n' }],
  ];
  for (const [what, a, b] of same) {
    it(what, async () => {
      expect(await keys(b)).toEqual(await keys(a));
    });
  }

  it('FROM scratch never shares a key with an image', async () => {
    const a = await keys({ dockerfile: 'FROM scratch\nCOPY a.txt /a\n' });
    const b = await keys({ dockerfile: COPY_RUN.replace('RUN cat /a\n', '') });
    expect(a[0]).not.toBe(b[0]);
    expect(a[1]).not.toBe(b[1]);
  });
});
