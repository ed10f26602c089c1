// (d) A RUN writing 1 GiB in 2000 files, then an OCI tarball export: time and peak RSS.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUSYBOX_BASE, buildah, tsbuild, unavailable } from './_common.js';

export default {
  name: 'cache-d-bigrun',
  description: 'RUN writing 2000 × 512 KiB of random data (1 GiB), then --output type=oci',
  phases: ['cold', 'noop', 'export'],
  reference: 'buildah',
  goals: { cold: { rssMiB: 250 }, noop: { rssMiB: 250 }, export: { rssMiB: 250 } },
  unavailable,
  prepare(dir) {
    mkdirSync(dir, { recursive: true });
    copyFileSync('/bin/busybox', path.join(dir, 'busybox'));
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      `FROM scratch\n${BUSYBOX_BASE}RUN mkdir /data && for i in $(seq 1 2000); do head -c 524288 /dev/urandom > /data/f$i; done\n`,
    );
    return dir;
  },
  builders: { tsbuild, buildah },
};
