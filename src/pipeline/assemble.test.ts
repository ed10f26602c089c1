// Image and history times: from when each layer was first made, unless SOURCE_DATE_EPOCH fixes them.
import { describe, expect, it } from 'vitest';
import { stampTimes, type Stamped } from './assemble.js';

const entry = (created: string) => ({ created, created_by: 'x' });

function history(): Stamped[] {
  return [
    { entry: entry('2020-01-01T00:00:00Z'), own: false },
    { entry: entry('now'), own: true },
    { entry: entry('now'), own: true, made: '2026-01-01T00:00:00Z' },
    { entry: entry('now'), own: true },
    { entry: entry('now'), own: true, made: '2026-01-01T00:00:00.500Z' },
  ];
}

describe('stampTimes', () => {
  it('takes the newest layer time as an instant, stamps own entries and keeps the base image’s', () => {
    const h = history();
    const created = stampTimes(h, { now: '2030-01-01T00:00:00Z', fixed: false });
    // '…00Z' sorts after '…00.500Z' as text; as instants the fractional one is newer.
    expect(created).toBe('2026-01-01T00:00:00.500Z');
    expect(h.map((x) => x.entry.created)).toEqual([
      '2020-01-01T00:00:00Z',
      '2026-01-01T00:00:00.500Z',
      '2026-01-01T00:00:00Z',
      '2026-01-01T00:00:00Z',
      '2026-01-01T00:00:00.500Z',
    ]);
  });

  it('uses SOURCE_DATE_EPOCH as given, and the base image’s time for an image with no layer of its own', () => {
    const fixed = history();
    expect(stampTimes(fixed, { now: '1970-01-01T00:00:00Z', fixed: true })).toBe('1970-01-01T00:00:00Z');
    expect(fixed[1]?.entry.created).toBe('now');
    const noLayers: Stamped[] = [{ entry: entry('now'), own: true }];
    expect(stampTimes(noLayers, { now: '2030-01-01T00:00:00Z', fixed: false, base: '2021-05-05T00:00:00Z' })).toBe('2021-05-05T00:00:00Z');
    expect(noLayers[0]?.entry.created).toBe('2021-05-05T00:00:00Z');
  });
});
