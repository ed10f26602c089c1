// Table test for the Go-compatible glob matcher (cases mirror Go's path/filepath behaviour).
import { describe, it, expect } from 'vitest';
import { match, isBadPattern, hasWildcards } from './match.js';
import { isTsbuildError } from '../core/index.js';

type Row = [pattern: string, name: string, expected: boolean | 'bad'];

const rows: Row[] = [
  ['abc', 'abc', true],
  ['*', 'abc', true],
  ['*c', 'abc', true],
  ['a*', 'a', true],
  ['a*', 'abc', true],
  ['a*', 'ab/c', false],
  ['a*/b', 'abc/b', true],
  ['a*/b', 'a/c/b', false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false],
  ['ab[c]', 'abc', true],
  ['ab[b-d]', 'abc', true],
  ['ab[e-g]', 'abc', false],
  ['ab[^c]', 'abc', false],
  ['ab[^b-d]', 'abc', false],
  ['ab[^e-g]', 'abc', true],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'ab', false],
  ['a?b', 'a☺b', true],
  ['a[^a]b', 'a☺b', true],
  ['a???b', 'a☺b', false],
  ['a[^a][^a][^a]b', 'a☺b', false],
  ['[a-ζ]*', 'α', true],
  ['*[a-ζ]', 'A', false],
  ['a?b', 'a/b', false],
  ['a*b', 'a/b', false],
  ['[\\]a]', ']', true],
  ['[\\-]', '-', true],
  ['[x\\-]', 'x', true],
  ['[x\\-]', '-', true],
  ['[x\\-]', 'z', false],
  ['[\\-x]', 'x', true],
  ['[\\-x]', '-', true],
  ['[\\-x]', 'a', false],
  ['[]a]', ']', 'bad'],
  ['[-]', '-', 'bad'],
  ['[x-]', 'x', 'bad'],
  ['[x-]', '-', 'bad'],
  ['[x-]', 'z', 'bad'],
  ['[-x]', 'x', 'bad'],
  ['[-x]', '-', 'bad'],
  ['[-x]', 'a', 'bad'],
  ['\\', 'a', 'bad'],
  ['[a-b-c]', 'a', 'bad'],
  ['[', 'a', 'bad'],
  ['[^', 'a', 'bad'],
  ['[^bc', 'a', 'bad'],
  ['a[', 'a', 'bad'],
  ['a[', 'ab', 'bad'],
  ['a[', 'x', 'bad'],
  ['a/b[', 'x', 'bad'],
  ['*x', 'xxx', true],
  // further cases: literal brackets, escapes of ordinary characters, separators
  ['[[]', '[', true],
  ['a]', 'a]', true],
  ['\\a', 'a', true],
  ['*', '', true],
  ['', '', true],
  ['', 'a', false],
  ['*/*', 'a/b', true],
  ['*', 'a/b', false],
  ['a[^x]b', 'a/b', true], // Go's classes do not exclude the separator
  ['*.go', '.go', true],
  ['with space*', 'with space here', true],
];

describe('match (Go filepath.Match semantics)', () => {
  it.each(rows)('%j vs %j → %s', (pattern, name, expected) => {
    if (expected === 'bad') {
      let err: unknown;
      try {
        match(pattern, name);
      } catch (e) {
        err = e;
      }
      expect(isTsbuildError(err) && err.code).toBe('TSB2104');
    } else {
      expect(match(pattern, name)).toBe(expected);
    }
  });

  it('isBadPattern agrees with the table', () => {
    expect(isBadPattern('[')).toBe(true);
    expect(isBadPattern('a/b[')).toBe(true);
    expect(isBadPattern('ab[c]')).toBe(false);
    expect(isBadPattern('**/x')).toBe(false);
  });

  it('hasWildcards honours escapes', () => {
    expect(hasWildcards('a*')).toBe(true);
    expect(hasWildcards('a\\*')).toBe(false);
    expect(hasWildcards('[ab]')).toBe(true);
    expect(hasWildcards('plain/path.txt')).toBe(false);
  });
});
