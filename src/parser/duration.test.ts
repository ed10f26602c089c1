// Go time.ParseDuration compatibility.
import { describe, expect, it } from 'vitest';
import { DurationError, parseGoDuration, parseGoDurationBig } from './duration.js';

describe('parseGoDuration', () => {
  const ok: Array<[string, number]> = [
    ['0', 0],
    ['5s', 5e9],
    ['+5s', 5e9],
    ['-5s', -5e9],
    ['1.5h', 5400e9],
    ['1h2m3s4ms5us6ns', 3723004005006],
    ['.5s', 5e8],
    ['1.s', 1e9],
    ['300ms', 3e8],
    ['10µs', 10000],
    ['10μs', 10000],
    ['1.0000000001s', 1000000000],
    ['0.0000000015s', 1],
  ];
  for (const [input, ns] of ok) {
    it(`${input} = ${ns}ns`, () => {
      expect(parseGoDuration(input)).toBe(ns);
    });
  }
  for (const bad of ['', '5', 's', '.s', '5x', '1e3s', '-', '9223372036854775808ns', '3000000h']) {
    it(`${JSON.stringify(bad)} is invalid`, () => {
      expect(() => parseGoDuration(bad)).toThrow(DurationError);
    });
  }
  it('keeps int64 precision as bigint', () => {
    expect(parseGoDurationBig('9223372036854775807ns')).toBe(9223372036854775807n);
  });
});
