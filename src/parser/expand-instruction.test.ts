// expandInstruction expands exactly the fields BuildKit expands, and nothing else.
import { describe, expect, it } from 'vitest';
import { TsbuildError } from '../core/index.js';
import { expandInstruction, parseDockerfile, splitCsvFields, type ExpandOptions, type Instruction, type RunInstruction } from './index.js';

const vars: Record<string, string> = { A: 'a1', B: 'b 2', P: '8080', S: 'stage', U: 'me', Q: 'x,y' };
const opts: ExpandOptions = { escape: '\\', lookup: (n) => (Object.hasOwn(vars, n) ? vars[n] : undefined) };

function instructions(text: string): Instruction[] {
  const { dockerfile } = parseDockerfile(text, 'D');
  return dockerfile.stages.flatMap((s) => [s.from, ...s.instructions]);
}

function expanded(text: string): { instruction: Instruction; used: string[] } {
  const inst = instructions(text).at(-1);
  if (!inst) throw new Error('none');
  const r = expandInstruction(inst, opts);
  return { instruction: r.instruction, used: [...r.used].sort() };
}

describe('expandInstruction', () => {
  it('FROM image and platform', () => {
    const { instruction, used } = expanded('FROM --platform=linux/$A img:${B:+v}${A#a} AS s\n');
    expect(instruction).toMatchObject({ image: 'img:v1', platform: 'linux/a1', stageName: 's' });
    expect(used).toEqual(['A', 'B']);
  });

  it('ENV and LABEL keys and values (quotes removed)', () => {
    expect(expanded('FROM a\nENV K_$A="$B" L=${NOPE:-d}\n')).toEqual({
      instruction: expect.objectContaining({ pairs: [{ key: 'K_a1', value: 'b 2' }, { key: 'L', value: 'd' }] }),
      used: ['A', 'B', 'NOPE'],
    });
    expect(expanded('FROM a\nLABEL "x"=$A\n').instruction).toMatchObject({ pairs: [{ key: 'x', value: 'a1' }] });
  });

  it('COPY/ADD sources, dest, chown, chmod, checksum; heredoc sources, --from and --exclude untouched', () => {
    const { instruction } = expanded('FROM a\nCOPY --from=s --chown=$U --chmod=$P --exclude=$A $A <<EOF /d/$B/\n$A\nEOF\n');
    expect(instruction).toMatchObject({
      sources: ['a1', 'EOF'],
      dest: '/d/b 2/',
      chown: 'me',
      chmod: '8080',
      from: 's',
      exclude: ['$A'],
      heredocs: [{ name: 'EOF', content: '$A\n' }],
    });
    expect(expanded('FROM a\nADD --checksum=sha256:$A u /d\n').instruction).toMatchObject({ checksum: 'sha256:a1' });
  });

  it('EXPOSE splits words after expansion', () => {
    // the raw words were sorted at parse time (`"` before `$`)
    expect(expanded('FROM a\nEXPOSE $P "$B"\n').instruction).toMatchObject({ ports: ['b 2', '8080'] });
    expect(expanded('FROM a\nEXPOSE $B\n').instruction).toMatchObject({ ports: ['b', '2'] });
  });

  it('RUN expands mount values only; command text stays', () => {
    const { instruction, used } = expanded('FROM a\nRUN --mount=type=cache,id=$A,target=/c,ro --mount=type=bind,source=$Q echo $A\n');
    expect(instruction).toMatchObject({
      mounts: ['type=cache,id=a1,target=/c,ro', 'type=bind,"source=x,y"'],
      command: { form: 'shell', command: 'echo $A' },
    });
    expect(used).toEqual(['A', 'Q']);
    // a value containing a comma is quoted so the field list survives
    expect(splitCsvFields((instruction as RunInstruction).mounts[1] ?? '')).toEqual(['type=bind', 'source=x,y']);
  });

  it('USER, WORKDIR, VOLUME, STOPSIGNAL, ARG defaults', () => {
    expect(expanded('FROM a\nUSER $U:$U\n').instruction).toMatchObject({ user: 'me:me' });
    expect(expanded('FROM a\nWORKDIR /w/$A\n').instruction).toMatchObject({ path: '/w/a1' });
    expect(expanded('FROM a\nVOLUME ["/v/$A", "/w"]\n').instruction).toMatchObject({ paths: ['/v/a1', '/w'] });
    expect(expanded('FROM a\nSTOPSIGNAL SIG$A\n').instruction).toMatchObject({ signal: 'SIGa1' });
    expect(expanded('FROM a\nARG $A=$B C\n').instruction).toMatchObject({ args: [{ key: '$A', value: 'b 2' }, { key: 'C' }] });
  });

  it('leaves CMD, ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD, MAINTAINER alone', () => {
    const text = 'FROM a\nCMD echo $A\nENTRYPOINT ["$A"]\nSHELL ["$A"]\nHEALTHCHECK CMD $A\nONBUILD RUN $A\nMAINTAINER $A\n';
    for (const inst of instructions(text).slice(1)) {
      const r = expandInstruction(inst, opts);
      expect(r.instruction).toEqual(inst);
      expect(r.used.size).toBe(0);
    }
  });

  it('does not modify its input and reports errors at the instruction', () => {
    const inst = instructions('FROM a\n\nWORKDIR ${MISSING:?set MISSING}\n').at(-1);
    if (!inst) throw new Error('none');
    const before = structuredClone(inst);
    try {
      expandInstruction(inst, opts);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TsbuildError);
      expect((e as TsbuildError).code).toBe('TSB1009');
      expect((e as TsbuildError).location).toMatchObject({ file: 'D', line: 3, column: 1 });
    }
    expect(inst).toEqual(before);
  });

  it('uses the backtick escape token when asked', () => {
    const inst = instructions('# escape=`\nFROM a\nWORKDIR C:\\x\\`$A\n').at(-1);
    if (!inst) throw new Error('none');
    expect(expandInstruction(inst, { ...opts, escape: '`' }).instruction).toMatchObject({ path: 'C:\\x\\$A' });
  });
});
