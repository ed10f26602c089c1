// Mount option compaction: long lowerdir lists rewritten relative to a common directory.
import { describe, it, expect } from 'vitest';
import { compactOverlayOptions } from './mount.js';

describe('compactOverlayOptions', () => {
  it('rewrites long lowerdir lists relative to their common directory', () => {
    const lowers = Array.from({ length: 150 }, (_, i) => `/var/lib/tsbuild/snapshots/snapshots/${150 - i}/fs`);
    const opts = ['workdir=/r/s/151/work', 'upperdir=/r/s/151/fs', `lowerdir=${lowers.join(':')}`];
    const out = compactOverlayOptions(opts);
    expect(out.cwd).toBe('/var/lib/tsbuild/snapshots/snapshots');
    expect(out.options[2]?.startsWith('lowerdir=150/fs:149/fs:')).toBe(true);
    expect(out.options.join(',').length).toBeLessThan(4096);
    expect(compactOverlayOptions(['lowerdir=/a:/b'])).toEqual({ options: ['lowerdir=/a:/b'] });
  });
});
