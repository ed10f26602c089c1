// (b) A 3-stage build: two builder stages whose RUN steps produce files, a final stage copying from both.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUSYBOX_BASE, buildah, changeFile, tsbuild, unavailable } from './_common.js';

const DOCKERFILE = `FROM scratch AS gen
${BUSYBOX_BASE}RUN mkdir /out && seq 1 20000 > /out/numbers && for i in $(seq 1 50); do echo "$i" > /out/f$i; done

FROM scratch AS proc
${BUSYBOX_BASE}COPY input.txt /in/input.txt
RUN mkdir /out && sort -r /in/input.txt > /out/sorted && wc -l < /in/input.txt > /out/count

FROM scratch
${BUSYBOX_BASE}COPY --from=gen /out /gen
COPY --from=proc /out /proc-out
`;

export default {
  name: 'cache-b-stages',
  description: '3 stages: two builders with RUN steps producing files, a final stage COPY --from both',
  phases: ['cold', 'noop', 'change', 'export'],
  reference: 'buildah',
  goals: { noop: { ratio: 0.25, ms: 300 } },
  unavailable,
  prepare(dir) {
    mkdirSync(dir, { recursive: true });
    copyFileSync('/bin/busybox', path.join(dir, 'busybox'));
    writeFileSync(path.join(dir, 'input.txt'), Array.from({ length: 500 }, (_, i) => `line ${i} ${'x'.repeat(i % 40)}`).join('\n') + '\n');
    writeFileSync(path.join(dir, 'Dockerfile'), DOCKERFILE);
    return dir;
  },
  change: (ctx, run) => changeFile(path.join(ctx, 'input.txt'), run),
  builders: { tsbuild, buildah },
};
