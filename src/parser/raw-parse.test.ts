// Raw (BuildKit AST) parsing: heredocs, directives, continuations, positions, JSON and dump output.
import { describe, expect, it } from 'vitest';
import { DiagnosticsError } from '../core/index.js';
import { dumpBuildkit, parseToJson } from './index.js';
import { goQuote } from './go-text.js';
import { parseRaw } from './raw-parse.js';

describe('heredocs', () => {
  it('collects several heredocs per instruction with chomp and expand flags', () => {
    const nodes = parseToJson('FROM a\nRUN 3<<-"A" cat <<B\n\tone\n\tA\n$two\nB\nRUN echo after\n', 'D');
    expect(nodes[1]).toEqual({
      instruction: 'run',
      flags: [],
      args: ['3<<-"A" cat <<B'],
      heredocs: [
        { name: 'A', content: '\tone\n', chomp: true, expand: false },
        { name: 'B', content: '$two\n', chomp: false, expand: true },
      ],
      startLine: 2,
      endLine: 6,
    });
    expect(nodes[2]?.startLine).toBe(7);
  });

  it('partly quoted delimiters disable expansion; whitespace after << is allowed', () => {
    expect(parseToJson("FROM a\nCOPY <<E'O'F /x\nbody\nEOF\n", 'D')[1]?.heredocs).toEqual([
      { name: 'EOF', content: 'body\n', chomp: false, expand: false },
    ]);
    expect(parseToJson('FROM a\nRUN << EOF\nx\nEOF\n', 'D')[1]?.heredocs.map((h) => h.name)).toEqual(['EOF']);
  });

  it('only RUN, COPY, ADD (also under ONBUILD) and never in JSON form', () => {
    expect(parseToJson('FROM a\nCMD <<EOF\nRUN x\n', 'D').map((n) => n.instruction)).toEqual(['from', 'cmd', 'run']);
    expect(parseToJson('FROM a\nRUN ["<<EOF"]\nRUN x\n', 'D').map((n) => n.heredocs.length)).toEqual([0, 0, 0]);
    const onbuild = parseToJson('FROM a\nONBUILD RUN <<EOF\nx\nEOF\n', 'D')[1];
    expect(onbuild?.child?.instruction).toBe('run');
    expect(onbuild?.heredocs.map((h) => h.content)).toEqual(['x\n']);
  });

  it('an unterminated heredoc is an error', () => {
    expect(() => parseToJson('FROM a\nRUN <<EOF\nx\n', 'D')).toThrow(DiagnosticsError);
  });
});

describe('lines and directives', () => {
  it('strips a BOM, accepts CRLF, keeps 1-based positions', () => {
    const r = parseRaw('\ufeffFROM a\r\n  RUN x \\\r\n    y\r\n', 'D');
    expect(r.errors).toEqual([]);
    expect(r.nodes.map((n) => [n.instruction, n.args, n.startLine, n.endLine, n.column, n.endColumn])).toEqual([
      ['from', ['a'], 1, 1, 1, 7],
      ['run', ['x     y'], 2, 3, 3, 6],
    ]);
  });

  it('directives only count before anything else', () => {
    expect(parseRaw('# escape=`\nFROM a\nRUN x `\n  y\n', 'D').nodes[1]?.args).toEqual(['x   y']);
    expect(parseRaw('# comment\n# escape=`\nFROM a\nRUN x `\n', 'D').nodes[1]?.args).toEqual(['x `']);
    const r = parseRaw('#syntax=a/b\n#check=error=true\nFROM a\n', 'D');
    expect(r.directives.map((d) => [d.name, d.value, d.line])).toEqual([
      ['syntax', 'a/b', 1],
      ['check', 'error=true', 2],
    ]);
  });

  it('comments and empty lines inside continuations are skipped, with a warning for empty ones', () => {
    const r = parseRaw('FROM a\nRUN a \\\n# note\n\n  b\n', 'D');
    expect(r.nodes[1]?.args).toEqual(['a   b']);
    expect(r.warnings.map((w) => w.code)).toEqual(['TSB1015']);
  });

  it('flags and -- terminator', () => {
    expect(parseToJson('COPY --a="x y" --b -- --c d\n', 'D')[0]).toMatchObject({ flags: ['--a=x y', '--b'], args: ['--c', 'd'] });
  });
});

describe('dump format', () => {
  it('quotes like Go', () => {
    expect(goQuote('a"b\\c\n\t\u0000\u00a0é😀\u200b')).toBe('"a\\"b\\\\c\\n\\t\\x00\\u00a0é😀\\u200b"');
    expect(dumpBuildkit('FROM a\nONBUILD --x RUN ["a"]\nFOO bar\n', 'D')).toBe('(from "a")\n(onbuild ["--x"] (run "a"))\n(foo "")');
  });
});
