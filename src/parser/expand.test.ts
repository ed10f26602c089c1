// Word expansion table tests, modelled on BuildKit's shell lexer cases (envVarTest, wordsTest, matches).
import { describe, expect, it } from 'vitest';
import { TsbuildError } from '../core/index.js';
import { expandWord, expandWords, type ExpandOptions } from './expand.js';

const env = (vars: Record<string, string>, escape: '\\' | '`' = '\\'): ExpandOptions => ({
  escape,
  lookup: (name) => (Object.hasOwn(vars, name) ? vars[name] : undefined),
});

// [input, expected value or null for an error]; environment: PWD=/home SHELL=bash KOREAN=한국어 NULL=''
const SINGLE: Array<[string, string | null]> = [
  ['hello', 'hello'],
  ["he'll'o", 'hello'],
  ["he'llo", null],
  ["he\\'llo", "he'llo"],
  ["he\\\\'llo", null],
  ['abc\\tdef', 'abctdef'],
  ['"abc\\tdef"', 'abc\\tdef'],
  ['"abc\\\\tdef"', 'abc\\tdef'],
  ["'abc\\tdef'", 'abc\\tdef'],
  ['hello\\', 'hello'],
  ['hello\\\\', 'hello\\'],
  ['"hello', null],
  ['"hello\\"', null],
  ['"hel\'lo"', "hel'lo"],
  ["'hello", null],
  ["'hello\\'", 'hello\\'],
  ["'hello\\there'", 'hello\\there'],
  ["'hello\\\\there'", 'hello\\\\there'],
  ['"\'\'"', "''"],
  ['$.', '$.'],
  ['he$1x', 'hex'],
  ['he$.x', 'he$.x'],
  ['he$pwd.', 'he.'],
  ['he$PWD', 'he/home'],
  ['he\\$PWD', 'he$PWD'],
  ['he\\\\$PWD', 'he\\/home'],
  ['"he\\$PWD"', 'he$PWD'],
  ['"he\\\\$PWD"', 'he\\/home'],
  ['\\${}', '${}'],
  ['\\${}aaa', '${}aaa'],
  ['he\\${}', 'he${}'],
  ['he\\${}xx', 'he${}xx'],
  ['${}', null],
  ['${}aaa', null],
  ['he${}', null],
  ['he${}xx', null],
  ['he${hi}', 'he'],
  ['he${hi}xx', 'hexx'],
  ['he${PWD}', 'he/home'],
  ['he${.}', null],
  ['he${XXX:-000}xx', 'he000xx'],
  ['he${PWD:-000}xx', 'he/homexx'],
  ['he${XXX:-$PWD}xx', 'he/homexx'],
  ['he${XXX:-${PWD:-yyy}}xx', 'he/homexx'],
  ['he${XXX:-${YYY:-yyy}}xx', 'heyyyxx'],
  ['he${XXX:YYY}', null],
  ['he${XXX?}', null],
  ['he${XXX:?}', null],
  ['he${PWD?}', 'he/home'],
  ['he${PWD:?}', 'he/home'],
  ['he${NULL?}', 'he'],
  ['he${NULL:?}', null],
  ['he${XXX:+${PWD}}xx', 'hexx'],
  ['he${PWD:+${XXX}}xx', 'hexx'],
  ['he${PWD:+${SHELL}}xx', 'hebashxx'],
  ['he${XXX:+000}xx', 'hexx'],
  ['he${PWD:+000}xx', 'he000xx'],
  ["'he${XX}'", 'he${XX}'],
  ['"he${PWD}"', 'he/home'],
  ['"he\'$PWD\'"', "he'/home'"],
  ['"$PWD"', '/home'],
  ["'$PWD'", '$PWD'],
  ["'\\$PWD'", '\\$PWD'],
  ['\'"hello"\'', '"hello"'],
  ["'he\\$PWD'", 'he\\$PWD'],
  ['he${PWD', null],
  ['he${PWD:=000}xx', null],
  ['he${PWD:+${PWD}:}xx', 'he/home:xx'],
  ['he${XXX:-\\$PWD:}xx', 'he$PWD:xx'],
  ['he${XXX:-\\${PWD}z}xx', 'he${PWDz}xx'],
  ['안녕하세요', '안녕하세요'],
  ["안'녕'하세요", '안녕하세요'],
  ["안'녕하세요", null],
  ["안녕\\'하세요", "안녕'하세요"],
  ['안녕\\t하세요', '안녕t하세요'],
  ['"안녕\\t하세요"', '안녕\\t하세요'],
  ['안녕$1x', '안녕x'],
  ['안녕${XXX:-${YYY:-yyy}}xx', '안녕yyyxx'],
  ['$KOREAN', '한국어'],
  ['안녕$KOREAN', '안녕한국어'],
  ['${{aaa}', null],
  ['${aaa}}', '}'],
  ['${aaa', null],
  ['${{aaa:-bbb}', null],
  ['${aaa:-bbb}}', 'bbb}'],
  ['${aaa:-bbb', null],
  ['${aaa:-bbb}', 'bbb'],
  ['${aaa:-${bbb:-ccc}}', 'ccc'],
  ['${aaa:-bbb ${foo}', null],
  ['${aaa:-bbb {foo}', 'bbb {foo'],
  ['${:}', null],
  ['${:-bbb}', null],
  ['${:+bbb}', null],
  // positional and special parameters are never set
  ['$1', ''],
  ['${1:-bbb}', 'bbb'],
  ['${1:+bbb}', ''],
  ['$999aaa', 'aaa'],
  ['${999:-bbb}aaa', 'bbbaaa'],
  ['$001aaa', 'aaa'],
  ['$@@@', '@@'],
  ['${@:-bbb}aaa', 'bbbaaa'],
  ['$*', ''],
  ['$#', ''],
  ['${#:-bbb}', 'bbb'],
  ['$?', ''],
  ['${-:+bbb}', ''],
  ['$$', ''],
  ['${$:-bbb}', 'bbb'],
  ['$!', ''],
  ['${0:-bbb}', 'bbb'],
];

describe('expandWord: envVarTest table', () => {
  const opts = env({ PWD: '/home', SHELL: 'bash', KOREAN: '한국어', NULL: '' });
  for (const [input, expected] of SINGLE) {
    it(`${input} → ${expected === null ? 'error' : JSON.stringify(expected)}`, () => {
      if (expected === null) expect(() => expandWord(input, opts)).toThrow(TsbuildError);
      else expect(expandWord(input, opts).value).toBe(expected);
    });
  }
});

describe('expandWords: wordsTest table', () => {
  const cases: Array<[Record<string, string>, string, string[] | null]> = [
    [{}, 'hello', ['hello']],
    [{}, 'hello${hi}bye', ['hellobye']],
    [{ hi: 'hi' }, 'hello${hi}bye', ['hellohibye']],
    [{ space: 'abc  def' }, 'hello${space}bye', ['helloabc', 'defbye']],
    [{ space: 'abc  def' }, 'hello"${space}"bye', ['helloabc  defbye']],
    [{ space: 'abc  def' }, 'hello "${space}"bye', ['hello', 'abc  defbye']],
    [{ leading: '  ab c' }, 'hello${leading}def', ['hello', 'ab', 'cdef']],
    [{ leading: '  ab c' }, 'hello"${leading}" def', ['hello  ab c', 'def']],
    [{ leading: '  ab c' }, 'hello"${leading}"', ['hello  ab c']],
    [{ leading: '  ab c' }, 'hello${leading}', ['hello', 'ab', 'c']],
    [{ trailing: 'ab c   ' }, 'hello${trailing}', ['helloab', 'c']],
    [{ trailing: 'ab c   ' }, 'hello${trailing}d', ['helloab', 'c', 'd']],
    [{ trailing: 'ab c   ' }, 'hello"${trailing}"d', ['helloab c   d']],
    [{ trailing: 'ab c   ' }, 'hel"lo${trailing}"', ['helloab c   ']],
    [{}, 'hello" there  "', ['hello there  ']],
    [{}, 'hello there     ', ['hello', 'there']],
    [{}, 'hello\\ there', ['hello there']],
    [{}, 'hello" there', null],
    [{}, 'hello\\" there', ['hello"', 'there']],
    [{}, 'hello"\\\\there"', ['hello\\there']],
    [{}, 'hello"\\there"', ['hello\\there']],
    [{}, "hello'\\\\there'", ['hello\\\\there']],
    [{}, "hello'\\there'", ['hello\\there']],
    [{}, "hello'$there'", ['hello$there']],
    // a default value is inserted into the word it appears in
    [{}, 'a${X:-b c}d', ['ab', 'cd']],
  ];
  for (const [vars, input, expected] of cases) {
    it(`${input} → ${expected === null ? 'error' : expected.join(',')}`, () => {
      if (expected === null) expect(() => expandWords(input, env(vars))).toThrow(TsbuildError);
      else expect(expandWords(input, env(vars)).values).toEqual(expected);
    });
  }
});

describe('operators and used variables', () => {
  const cases: Array<[string, Record<string, string>, string, string[]]> = [
    ['x', { DUMMY: 'dummy' }, 'x', []],
    ['x ${UNUSED}', {}, 'x ', ['UNUSED']],
    ['${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}', { FOO: 'xxx', BAR: '' }, 'xxx  ccc', ['FOO', 'BAR', 'BAZ']],
    ['${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}', { FOO: 'xxx', BAR: '' }, 'xxx bbb ccc', ['FOO', 'BAR', 'BAZ']],
    ['${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}', { FOO: 'xxx', BAR: '' }, 'aaa bbb ', ['FOO', 'BAR', 'BAZ']],
    ['${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}', { FOO: 'xxx', BAR: '' }, 'aaa  ', ['FOO', 'BAR', 'BAZ']],
    ['${FOO?aaa}', { FOO: 'xxx' }, 'xxx', ['FOO']],
    ['${BAR?bbb}', { BAR: '' }, '', ['BAR']],
    ['${FOO#()[]{\\}^$.\\*\\?|\\\\}', { FOO: '()[]{}^$.*?|\\x' }, 'x', ['FOO']],
    ['${FOO%%\\**}', { FOO: 'xx**' }, 'xx', ['FOO']],
    ['${FOO#*x*y}', { FOO: 'xxyy' }, 'y', ['FOO']],
    ['${FOO#*}', { FOO: 'xxyy' }, 'xxyy', ['FOO']],
    ['${FOO#$BAR}', { FOO: 'xxyy', BAR: 'x' }, 'xyy', ['FOO', 'BAR']],
    ['${FOO##*x}', { FOO: 'xxyy' }, 'yy', ['FOO']],
    ['${FOO#?\\?}', { FOO: '???y' }, '?y', ['FOO']],
    ['${ABC:-.}${FOO%x}${ABC:-.}', { FOO: 'xxyy' }, '.xxyy.', ['FOO', 'ABC']],
    ['${FOO%y}', { FOO: 'xxyy' }, 'xxy', ['FOO']],
    ['${FOO%%y*}', { FOO: 'xyxy' }, 'x', ['FOO']],
    ['${FOO%y*}', { FOO: 'xyxy' }, 'xyx', ['FOO']],
    ['${FOO%%\\**\\*}', { FOO: 'a***yy*' }, 'a', ['FOO']],
    ['${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}', { FOO: '/foo*/*/*.txt', NEEDLE: '\\*/' }, '/foo.*/*.txt - /foo..*.txt', ['FOO', 'NEEDLE']],
    ['${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}', { FOO: '/tmp/tmp/bar.txt', NEEDLE: '/tmp' }, '/tmp/bar.txt - /bar.txt', ['FOO', 'NEEDLE']],
    ['${FOO/$N/$R} - ${FOO//$N/$R}', { FOO: '/a/foo/b/c.txt', N: '/?/', R: '/' }, '/foo/b/c.txt - /foo/c.txt', ['FOO', 'N', 'R']],
    ['${FOO/$N/$R}', { FOO: 'http://google.de', N: 'http://', R: 'https://' }, 'https://google.de', ['FOO', 'N', 'R']],
    ['${FOO//\\//\\/}', { FOO: '/tmp/foo.txt' }, '\\/tmp\\/foo.txt', ['FOO']],
    ['${FOO/$BAR/ww}', { FOO: 'xxyy', BAR: '' }, 'wwxxyy', ['FOO', 'BAR']],
    ['${FOO///}', { FOO: 'xxyy' }, 'xxyy', ['FOO']],
    ['${FOO//*/-}', { FOO: 'abc' }, '-', ['FOO']],
    ['${FOO//?/-}', { FOO: 'abc' }, '---', ['FOO']],
    [
      'something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz',
      { VERSION: 'v1', TARGETOS: 'linux', TARGETARCH: 'arm', TARGETVARIANT: 'v7' },
      'something-v1.linux-arm-v7.tar.gz',
      ['VERSION', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT'],
    ],
  ];
  for (const [input, vars, expected, used] of cases) {
    it(input, () => {
      const r = expandWord(input, env(vars));
      expect(r.value).toBe(expected);
      expect([...r.used].sort()).toEqual([...used].sort());
    });
  }

  const errors: Array<[string, Record<string, string>]> = [
    ['${BAZ?ccc}', {}],
    ['${BAR:?bbb}', { BAR: '' }],
    ['${FOO=aaa}', { FOO: 'x' }],
    ['${FOO=:aaa}', { FOO: 'x' }],
    ['${FOO:#}', {}],
    ['${FOO:##}', {}],
    ['${FOO:%}', {}],
    ['${FOO:%%}', {}],
    ['${FOO//ww}', { FOO: 'xxyy' }],
    ['${FOO//}', { FOO: 'xxyy' }],
    ['${FOO#\\x}', { FOO: 'xxyy' }],
  ];
  for (const [input, vars] of errors) {
    it(`${input} fails`, () => {
      expect(() => expandWord(input, env(vars))).toThrow(TsbuildError);
    });
  }

  it('${V:?msg} reports TSB1009 with the message; bad syntax TSB1008', () => {
    const opts = env({ ARG: 'x', EMPTY: '' });
    for (const w of ['${VAR:?message here$ARG}', '${VAR?message here$ARG}', '${EMPTY:?message here$ARG}']) {
      try {
        expandWord(w, opts);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(TsbuildError);
        expect((e as TsbuildError).code).toBe('TSB1009');
        expect((e as TsbuildError).message).toContain('message herex');
      }
    }
    expect(expandWord('${EMPTY?message}', opts).value).toBe('');
    try {
      expandWord('${}', opts);
      expect.unreachable();
    } catch (e) {
      expect((e as TsbuildError).code).toBe('TSB1008');
    }
  });

  it('the error carries a location when given one', () => {
    const location = { file: 'Dockerfile', line: 3, column: 1 };
    try {
      expandWord('${X:?missing}', env({}), location);
      expect.unreachable();
    } catch (e) {
      expect((e as TsbuildError).location).toEqual(location);
    }
  });
});

describe('backtick escape token', () => {
  const opts = env({ A: 'x' }, '`');
  it('escapes with backtick and keeps backslashes literal', () => {
    expect(expandWord('C:\\path\\$A', opts).value).toBe('C:\\path\\x');
    expect(expandWord('`$A', opts).value).toBe('$A');
    expect(expandWord('"a`"b"', opts).value).toBe('a"b');
    expect(expandWord('a``b', opts).value).toBe('a`b');
    expect(expandWords('a` b c', opts).values).toEqual(['a b', 'c']);
  });
});
