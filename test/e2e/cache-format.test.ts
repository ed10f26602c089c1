// The cache commands' small parsers and formatters, and behaviour on an empty or missing store.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { humanAgo, humanSize, parseDuration } from '../../src/cli/commands/cache.js';
import { tempDir } from '../helpers/cli.js';
import { cache } from './cache-helpers.js';

describe('cache command formatting', () => {
  it('parses durations like 24h, 30m, 7d and combinations; rejects the rest', () => {
    expect(parseDuration('24h')).toBe(24 * 3600_000);
    expect(parseDuration('30m')).toBe(30 * 60_000);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('1h30m')).toBe(90 * 60_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    for (const bad of ['', '10', 'h', '5x', '-1h', '1h 2m', 'until=1h']) expect(parseDuration(bad)).toBeUndefined();
  });

  it('prints sizes in decimal units and ages relative to now', () => {
    expect(humanSize(0)).toBe('0B');
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(123_000_000)).toBe('123MB');
    expect(humanSize(1_500_000_000)).toBe('1.50GB');
    expect(humanSize(12_345)).toBe('12.3kB');
    const now = Date.parse('2024-05-01T12:00:00Z');
    expect(humanAgo('2024-05-01T11:55:00Z', now)).toBe('5 minutes ago');
    expect(humanAgo('2024-05-01T11:59:59.500Z', now)).toBe('Less than a second ago');
    expect(humanAgo('2024-05-01T11:00:00Z', now)).toBe('About an hour ago');
    expect(humanAgo('2024-04-28T12:00:00Z', now)).toBe('3 days ago');
    expect(humanAgo('not a date', now)).toBe('unknown');
  });
});

describe('cache commands on a store that does not exist yet', () => {
  const t = tempDir('tsb-cache-empty-');
  afterAll(() => t.cleanup());
  const root = path.join(t.dir, 'store');

  it('ls, du and prune succeed with nothing to show', async () => {
    const ls = await cache(root, ['ls', '--format', 'json']);
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual([]);
    const du = await cache(root, ['du', '--format', 'json']);
    expect(du.code, du.stderr).toBe(0);
    expect((JSON.parse(du.stdout) as { reclaimable: number; records: number }).records).toBe(0);
    const pr = await cache(root, ['prune', '--all']);
    expect(pr.code, pr.stderr).toBe(0);
    expect(pr.stdout).toContain('Total reclaimed: 0B');
  });

  it('rejects bad options with usage errors', async () => {
    expect((await cache(root, ['ls', '--format', 'yaml'])).code).toBe(2);
    expect((await cache(root, ['prune', '--keep-storage', 'much'])).code).toBe(2);
    expect((await cache(root, ['prune', '--filter', 'label=x'])).code).toBe(2);
    expect((await cache(root, ['inspect', 'abc'])).stderr).toContain('TSB4009');
  });
});
