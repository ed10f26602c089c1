// Tests for storeRoot: precedence of --root, TSBUILD_ROOT, root user default and XDG locations.
import { describe, expect, it } from 'vitest';
import { storeRoot } from './index.js';

describe('storeRoot', () => {
  const home = '/home/u';
  it.each([
    [{ root: '/x', env: { TSBUILD_ROOT: '/y' }, uid: 0 }, '/x'],
    [{ env: { TSBUILD_ROOT: '/y', XDG_DATA_HOME: '/d' }, uid: 1000 }, '/y'],
    [{ env: {}, uid: 0 }, '/var/lib/tsbuild'],
    [{ env: { XDG_DATA_HOME: '/d' }, uid: 0 }, '/var/lib/tsbuild'],
    [{ env: { XDG_DATA_HOME: '/d' }, uid: 1000 }, '/d/tsbuild'],
    [{ env: { XDG_DATA_HOME: 'relative' }, uid: 1000 }, '/home/u/.local/share/tsbuild'],
    [{ env: { TSBUILD_ROOT: '' }, uid: 1000 }, '/home/u/.local/share/tsbuild'],
  ])('%j → %s', (opts, want) => {
    expect(storeRoot({ home, ...opts })).toBe(want);
  });
});
