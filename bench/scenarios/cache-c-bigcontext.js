// (c) `COPY . /app` of a 100k-file, 1 GB context: no-op rebuild and rebuild after one changed file.
// The context takes a while to create, so it is kept in /tmp/tsbuild-bench-ctx between runs.
import { randomFillSync } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildah, changeFile, tsbuild, unavailable } from './_common.js';

const DIR = process.env.TSBUILD_BENCH_CTX ?? '/tmp/tsbuild-bench-ctx';
const DIRS = 100;
const PER_DIR = 1000;
const SIZE = 10 * 1024;
const MARKER = `.complete-${DIRS}x${PER_DIR}x${SIZE}`;

function fileName(d, f) {
  return path.join(`d${String(d).padStart(3, '0')}`, `f${String(f).padStart(4, '0')}.bin`);
}

export default {
  name: 'cache-c-bigcontext',
  description: `COPY . /app of ${DIRS * PER_DIR} files × ${SIZE / 1024} KiB (${((DIRS * PER_DIR * SIZE) / 2 ** 30).toFixed(2)} GiB)`,
  phases: ['cold', 'noop', 'change', 'export'],
  reference: 'buildah',
  goals: { noop: { ms: 1000 }, change: { ratio: 0.25 } },
  unavailable,
  persistentContext: true,
  prepare() {
    if (existsSync(path.join(DIR, MARKER))) return DIR;
    rmSync(DIR, { recursive: true, force: true });
    process.stderr.write(`  creating ${DIR} (${DIRS * PER_DIR} files)…\n`);
    const buf = Buffer.alloc(SIZE);
    for (let d = 0; d < DIRS; d++) {
      mkdirSync(path.join(DIR, `d${String(d).padStart(3, '0')}`), { recursive: true });
      for (let f = 0; f < PER_DIR; f++) {
        // Half random, half text: gzip has something to do, but not everything compresses away.
        randomFillSync(buf, 0, SIZE / 2);
        buf.fill(`${d}/${f} `, SIZE / 2);
        writeFileSync(path.join(DIR, fileName(d, f)), buf);
      }
    }
    writeFileSync(path.join(DIR, 'Dockerfile'), 'FROM scratch\nCOPY . /app\n');
    writeFileSync(path.join(DIR, '.dockerignore'), `${MARKER}\n`);
    writeFileSync(path.join(DIR, MARKER), '');
    return DIR;
  },
  change: (ctx, run) => changeFile(path.join(ctx, fileName(42, 420)), run),
  builders: { tsbuild, buildah },
};
