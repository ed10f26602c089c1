// (a) A 5-step busybox image: cold build, no-op rebuild, rebuild after one changed file, export.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUSYBOX_BASE, buildah, changeFile, tsbuild, unavailable } from './_common.js';

export default {
  name: 'cache-a-busybox',
  description: 'FROM scratch, COPY busybox, RUN busybox --install, COPY app.conf, 2 small RUNs',
  phases: ['cold', 'noop', 'change', 'export'],
  reference: 'buildah',
  goals: { noop: { ratio: 0.25, ms: 300 } },
  unavailable,
  prepare(dir) {
    mkdirSync(dir, { recursive: true });
    copyFileSync('/bin/busybox', path.join(dir, 'busybox'));
    writeFileSync(path.join(dir, 'app.conf'), 'listen = 8080\nworkers = 4\n'.repeat(8));
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      `FROM scratch\n${BUSYBOX_BASE}COPY app.conf /etc/app.conf\nRUN mkdir -p /var/app && wc -l /etc/app.conf > /var/app/lines\nRUN echo built > /var/app/stamp\n`,
    );
    return dir;
  },
  change: (ctx, run) => changeFile(path.join(ctx, 'app.conf'), run),
  builders: { tsbuild, buildah },
};
