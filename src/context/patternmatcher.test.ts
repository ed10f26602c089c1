// Pattern lists with Docker's matching rules, checked through both matching entry points.
import { describe, it, expect } from 'vitest';
import { PatternMatcher, PatternError } from './patternmatcher.js';

const single: Array<[string, string, boolean]> = [
  ['**', 'file', true],
  ['**/', 'file', true],
  ['**', 'dir/file', true],
  ['**/**', 'dir/file', true],
  ['dir/**', 'dir/dir2/file', true],
  ['**/dir', 'dir', true],
  ['**/dir', 'dir/file', true],
  ['**/dir2/*', 'dir/dir2/file', true],
  ['**/dir2/**', 'dir/dir2/dir3/file', true],
  ['**file', 'file', true],
  ['**file', 'dir/dir/file', true],
  ['**file', 'dir/xfile', true],
  ['**/file', 'dir/xfile', false],
  ['**/file*.txt*', 'dir/dir/file.txt', true],
  ['**/**/*.txt2', 'dir/dir/file.txt', false],
  ['**/*.txt', 'file.txt', true],
  ['a**/*.txt', 'a/dir/dir/file.txt', true],
  ['a/*.txt', 'a/dir/file.txt', false],
  ['a/*.txt**', 'a/file.txt', true],
  ['a[b-d]e', 'ace', true],
  ['a[b-d]e', 'aae', false],
  ['a[^b-d]e', 'aze', true],
  ['.*', '.foo', true],
  ['.*', 'foo', false],
  ['abc.def', 'abcZdef', false],
  ['abc?def', 'abcZdef', true],
  ['a\\\\', 'a\\', true],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'axb', false],
  ['abc/**', 'abc', false],
  ['abc/**', 'abc/def/ghi', true],
  ['**/.foo', 'bar.foo', false],
  ['a(b)c/def', 'a(b)c/def', true],
  ['a.|)$(}+{bc', 'a.|)$(}+{bc', true],
  ['dist/*.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
  ['a]b', 'a]b', true],
  ['[[]x', '[x', true],
  ['x', 'x/y/z', true],
  ['x/y', 'x/y/z', true],
  ['x/y', 'x', false],
];

const multi: Array<[string[], string, boolean]> = [
  [['**', '!util/docker/web'], 'util/docker/web/foo', false],
  [['**', '!util/docker/web', 'util/docker/web/foo'], 'util/docker/web/foo', true],
  [['**', '!dist/*.whl'], 'dist/x-1.0+local.whl', false],
  [['docs', '!docs/README.md'], 'docs/README.md', false],
  [['docs', '!docs/README.md'], 'docs/other.md', true],
  [['!docs/README.md', 'docs'], 'docs/README.md', true],
];

function viaParents(pm: PatternMatcher, text: string): boolean {
  const parts = text.split('/');
  let info;
  let matched = false;
  for (let i = 0; i < parts.length; i++) {
    const r = pm.matchesUsingParentResults(parts.slice(0, i + 1).join('/'), info);
    info = r.info;
    matched = r.matched;
  }
  return matched;
}

describe('PatternMatcher', () => {
  it.each(single)('%j matches %j → %s', (pattern, text, want) => {
    const pm = new PatternMatcher([pattern]);
    expect(pm.matchesOrParentMatches(text)).toBe(want);
    expect(viaParents(pm, text)).toBe(want);
  });

  it.each(multi)('%j on %j → %s', (patterns, text, want) => {
    const pm = new PatternMatcher(patterns);
    expect(pm.matchesOrParentMatches(text)).toBe(want);
    expect(viaParents(pm, text)).toBe(want);
  });

  it.each(['[', '!', 'a/[b', '\\'])('rejects %j', (p) => {
    expect(() => new PatternMatcher([p])).toThrow(PatternError);
  });

  it('decides when an excluded directory must still be walked', () => {
    expect(new PatternMatcher(['a']).mayReincludeUnder('a')).toBe(false);
    expect(new PatternMatcher(['a', '!a/b/c']).mayReincludeUnder('a')).toBe(true);
    expect(new PatternMatcher(['a', '!a/b/c']).mayReincludeUnder('a/b')).toBe(true);
    expect(new PatternMatcher(['a', '!x/y']).mayReincludeUnder('a')).toBe(false);
    expect(new PatternMatcher(['a', '!a/b/**']).mayReincludeUnder('a')).toBe(true);
    expect(new PatternMatcher(['*', '!*.txt']).mayReincludeUnder('anything')).toBe(true);
  });
});
