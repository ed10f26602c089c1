// Typed parsing: validation of flags and arguments, error collection with positions, stages.
import { describe, expect, it } from 'vitest';
import { DiagnosticsError, type TsbuildError } from '../core/index.js';
import { parseDockerfile } from './index.js';
import type { Instruction } from './types.js';

function errorsOf(text: string): TsbuildError[] {
  try {
    parseDockerfile(text, 'Dockerfile');
  } catch (e) {
    expect(e).toBeInstanceOf(DiagnosticsError);
    return [...(e as DiagnosticsError).diagnostics];
  }
  throw new Error('expected the parse to fail');
}

function brief(errors: TsbuildError[]): string[] {
  return errors.map((e) => `${e.code} ${e.location?.line}:${e.location?.column}`);
}

function only(text: string): Instruction {
  const { dockerfile } = parseDockerfile(text, 'Dockerfile');
  const inst = dockerfile.stages[dockerfile.stages.length - 1]?.instructions.at(-1);
  if (!inst) throw new Error('no instruction');
  return inst;
}

describe('error collection', () => {
  it('reports every error in the file with line:column', () => {
    const errors = errorsOf(
      [
        'RUN echo too early', // 1: before FROM
        'FROM busybox AS one',
        'COPY --frm=x a b', // 3: unknown flag at column 6
        'COPY onlyone', // 4: missing destination
        '  WORKDIR a b', // 5: parsed as one word, fine
        'ENV =x', // 6: blank name
        'RUN --network=mars true', // 7
        'HEALTHCHECK --interval=5x CMD true', // 8
        'FROB x', // 9: unknown instruction
        'FROM busybox AS One', // 10: duplicate stage
        'COPY --link=maybe a b', // 11: bad boolean
        'COPY --chown a b', // 12: missing value
        'ENV a=1 b', // 13: raw ENV syntax error
        'SHELL sh -c', // 14: not JSON
      ].join('\n'),
    );
    expect(brief(errors)).toEqual([
      'TSB1010 1:1',
      'TSB1003 3:6',
      'TSB1005 4:1',
      'TSB1012 6:1',
      'TSB1004 7:5',
      'TSB1004 8:13',
      'TSB1002 9:1',
      'TSB2003 10:17',
      'TSB1004 11:6',
      'TSB1004 12:6',
      'TSB1012 13:1',
      'TSB1012 14:1',
    ]);
    expect(errors.every((e) => e.location?.file === 'Dockerfile')).toBe(true);
    expect(errors[1]?.message).toContain('unknown flag: --frm');
  });

  it('columns account for indentation and continuation lines', () => {
    const errors = errorsOf('FROM a\n   COPY \\\n  --bogus=1 x y\n');
    expect(brief(errors)).toEqual(['TSB1003 3:3']);
  });

  it('stops at an unterminated heredoc and reports it', () => {
    const errors = errorsOf('FROM a\nRUN <<EOF\necho hi\n');
    expect(brief(errors)).toEqual(['TSB1007 2:1']);
  });

  it('a file with only ARGs has no stage', () => {
    expect(brief(errorsOf('ARG A=1\n'))).toEqual(['TSB1006 1:1']);
  });

  it('rejects a bad escape directive and a repeated directive', () => {
    expect(brief(errorsOf('# escape=x\nFROM a\n'))).toEqual(['TSB1011 1:1']);
    expect(brief(errorsOf('# syntax=a\n# syntax=b\nFROM a\n'))).toEqual(['TSB1011 2:1']);
  });
});

describe('instructions', () => {
  it('FROM: platform, lower-cased stage name, invalid names', () => {
    const { dockerfile } = parseDockerfile('FROM --platform=linux/arm64 img:1 as Builder\n', 'D');
    expect(dockerfile.stages[0]?.name).toBe('builder');
    expect(dockerfile.stages[0]?.from.platform).toBe('linux/arm64');
    expect(brief(errorsOf('FROM img AS 1x\n'))).toEqual(['TSB2004 1:13']);
    expect(brief(errorsOf('FROM a b\n'))).toEqual(['TSB1005 1:1']);
    expect(brief(errorsOf('FROM --plat=x a\n'))).toEqual(['TSB1003 1:6']);
  });

  it('RUN: repeated mounts, security, exec form, mount from= must be literal', () => {
    const run = only('FROM a\nRUN --mount=type=tmpfs,target=/t --mount=type=secret,id=s --security=insecure ["a", "b c"]\n');
    expect(run).toMatchObject({
      kind: 'run',
      mounts: ['type=tmpfs,target=/t', 'type=secret,id=s'],
      security: 'insecure',
      command: { form: 'exec', args: ['a', 'b c'] },
    });
    expect(brief(errorsOf('FROM a\nRUN --mount=from=$X,target=/x true\n'))).toEqual(['TSB1004 2:13']);
    expect(brief(errorsOf('FROM a\nRUN --security=root true\n'))).toEqual(['TSB1004 2:5']);
  });

  it('COPY/ADD flags are per instruction', () => {
    expect(brief(errorsOf('FROM a\nADD --from=x a b\n'))).toEqual(['TSB1003 2:5']);
    expect(brief(errorsOf('FROM a\nCOPY --checksum=sha256:x a b\n'))).toEqual(['TSB1003 2:6']);
    expect(brief(errorsOf('FROM a\nCOPY --from=$STAGE a b\n'))).toEqual(['TSB1004 2:6']);
    const add = only('FROM a\nADD --link --unpack --exclude=a --exclude=b src /d\n');
    expect(add).toMatchObject({ kind: 'add', link: true, unpack: true, exclude: ['a', 'b'], sources: ['src'], dest: '/d' });
    const copy = only('FROM a\nCOPY --parents --link=false x y /d/\n');
    expect(copy).toMatchObject({ kind: 'copy', parents: true, link: false, sources: ['x', 'y'] });
    expect(brief(errorsOf('FROM a\nCOPY x <<EOF\nhi\nEOF\n'))).toEqual(['TSB1012 2:8']);
  });

  it('ENV legacy and key=value forms; ARG lists', () => {
    expect(only('FROM a\nENV K some value\n')).toMatchObject({ pairs: [{ key: 'K', value: 'some value' }] });
    expect(only('FROM a\nENV A=1 B="two words"\n')).toMatchObject({
      pairs: [
        { key: 'A', value: '1' },
        { key: 'B', value: '"two words"' },
      ],
    });
    expect(only('FROM a\nARG X Y=2 Z=\n')).toMatchObject({ args: [{ key: 'X' }, { key: 'Y', value: '2' }, { key: 'Z', value: '' }] });
    expect(brief(errorsOf('FROM a\nENV\n'))).toEqual(['TSB1005 2:1']);
  });

  it('ONBUILD refuses ONBUILD, FROM and MAINTAINER triggers and checks the trigger', () => {
    expect(brief(errorsOf('FROM a\nONBUILD ONBUILD RUN x\n'))).toEqual(['TSB1012 2:9']);
    expect(brief(errorsOf('FROM a\nONBUILD FROM b\n'))).toEqual(['TSB1012 2:9']);
    expect(brief(errorsOf('FROM a\nONBUILD maintainer b\n'))).toEqual(['TSB1012 2:9']);
    expect(brief(errorsOf('FROM a\nONBUILD COPY x\n'))).toEqual(['TSB1005 2:1']);
    expect(only('FROM a\n  onbuild   RUN echo hi\n')).toMatchObject({ kind: 'onbuild', expression: 'RUN echo hi', trigger: { kind: 'run' } });
  });

  it('HEALTHCHECK: durations in nanoseconds, retries, NONE, errors', () => {
    expect(only('FROM a\nHEALTHCHECK --interval=1h2m3.5s --retries=+2 CMD ["true"]\n')).toMatchObject({
      test: ['CMD', 'true'],
      interval: 3723_500_000_000,
      retries: 2,
    });
    expect(only('FROM a\nHEALTHCHECK --timeout=0s CMD true\n')).toMatchObject({ test: ['CMD-SHELL', 'true'], timeout: 0 });
    expect(brief(errorsOf('FROM a\nHEALTHCHECK --interval=10us CMD true\n'))).toEqual(['TSB1004 2:13']);
    expect(brief(errorsOf('FROM a\nHEALTHCHECK --retries=-1 CMD true\n'))).toEqual(['TSB1004 2:13']);
    expect(brief(errorsOf('FROM a\nHEALTHCHECK NONE x\n'))).toEqual(['TSB1005 2:1']);
    expect(brief(errorsOf('FROM a\nHEALTHCHECK CONNECT x\n'))).toEqual(['TSB1012 2:13']);
    expect(brief(errorsOf('FROM a\nHEALTHCHECK CMD\n'))).toEqual(['TSB1005 2:1']);
  });

  it('EXPOSE ports are sorted as BuildKit does; VOLUME and SHELL validation', () => {
    expect(only('FROM a\nEXPOSE 9000 5000/udp 80\n')).toMatchObject({ ports: ['5000/udp', '80', '9000'] });
    expect(brief(errorsOf('FROM a\nVOLUME [""]\n'))).toEqual(['TSB1012 2:1']);
    expect(brief(errorsOf('FROM a\nSHELL []\n'))).toEqual(['TSB1005 2:1']);
    expect(brief(errorsOf('FROM a\nUSER\n'))).toEqual(['TSB1005 2:1']);
  });

  it('warnings are returned, not thrown', () => {
    const { warnings } = parseDockerfile('# syntax=x/y\nFROM a\nMAINTAINER me\nRUN a \\\n\n  b\n', 'D');
    expect(warnings.map((w) => `${w.code} ${w.location?.line}`)).toEqual(['TSB1013 1', 'TSB1014 3', 'TSB1015 6']);
  });

  it('global ARGs and several stages', () => {
    const { dockerfile } = parseDockerfile('ARG A\nARG B=1\nFROM x AS one\nRUN a\nFROM one\nRUN b\nRUN c\n', 'D');
    expect(dockerfile.globalArgs.map((a) => a.args[0]?.key)).toEqual(['A', 'B']);
    expect(dockerfile.stages.map((s) => [s.index, s.name, s.instructions.length])).toEqual([
      [0, 'one', 1],
      [1, undefined, 2],
    ]);
  });

  it('keeps the original text for history', () => {
    expect(only('FROM a\n  RUN   echo \\\n  hi  \n').original).toBe('RUN   echo   hi');
  });
});
