// 150 RUN layers on top of each other: the overlay lowerdir list outgrows what a plain mount
// option string may hold, and a final RUN must still see the bottom layer's file.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { have } from '../helpers/env.js';
import { tempDir } from '../helpers/cli.js';
import { BASE, build, busyboxContext, printed, readOciTar } from './run.helpers.js';

const ok = have('root', 'overlay', 'runc', 'busybox');
const LAYERS = 150;

describe.skipIf(!ok)(`an image of ${LAYERS} RUN layers`, () => {
  const t = tempDir('tsb-run-deep-');
  afterAll(() => t.cleanup());

  it('builds, and a RUN on top reads the files of the bottom and top layers', async () => {
    const steps = Array.from({ length: LAYERS }, (_, i) => `RUN echo ${i + 1} > /f${i + 1}`).join('\n');
    const ctx = busyboxContext(path.join(t.dir, 'ctx'), `${BASE}${steps}
RUN echo "first=$(cat /f1) last=$(cat /f${LAYERS}) count=$(ls / | grep -c '^f[0-9]')"
`);
    const tar = path.join(t.dir, 'deep.tar');
    // the store path is made long on purpose: absolute lowerdirs alone would overflow a page
    const root = path.join(t.dir, 'a-store-root-with-a-rather-long-name-to-stress-mount-option-length');
    const r = await build(root, ctx, ['--output', `type=oci,dest=${tar}`]);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(printed(r.stderr, 'first')).toBe(`1 last=${LAYERS} count=${LAYERS}`);
    const img = readOciTar(tar, path.join(t.dir, 'layout'));
    // busybox, --install, one per echo step; the last RUN writes nothing
    expect(img.manifest.layers).toHaveLength(LAYERS + 2);
  }, 170_000);
});
