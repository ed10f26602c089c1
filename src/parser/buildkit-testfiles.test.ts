// BuildKit's own parser golden files: AST dumps, files that must fail, and line information.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { have, sharedDir } from '../../test/helpers/env.js';
import { DiagnosticsError } from '../core/index.js';
import { dumpBuildkit } from './dump.js';
import { parseRaw } from './raw-parse.js';

const enabled = have('shared');
const root = path.join(sharedDir, 'buildkit-parser-testfiles');
const cases = (dir: string): string[] => (enabled && existsSync(path.join(root, dir)) ? readdirSync(path.join(root, dir)).sort() : []);

describe.skipIf(!enabled)('BuildKit parser testfiles', () => {
  const positive = cases('testfiles');
  it('has all 33 cases', () => {
    expect(positive).toHaveLength(33);
  });

  describe('dump equals result', () => {
    for (const name of positive) {
      it(name, () => {
        const dockerfile = readFileSync(path.join(root, 'testfiles', name, 'Dockerfile'), 'utf8');
        const expected = readFileSync(path.join(root, 'testfiles', name, 'result'), 'utf8');
        expect(dumpBuildkit(dockerfile, 'Dockerfile') + '\n').toBe(expected);
      });
    }
  });

  describe('negative cases fail', () => {
    const negative = cases('testfiles-negative');
    it('has negative cases', () => {
      expect(negative.length).toBeGreaterThanOrEqual(4);
    });
    for (const name of negative) {
      it(name, () => {
        const dockerfile = readFileSync(path.join(root, 'testfiles-negative', name, 'Dockerfile'), 'utf8');
        expect(() => dumpBuildkit(dockerfile, 'Dockerfile')).toThrow(DiagnosticsError);
      });
    }
  });

  it('testfile-line has BuildKit line information', () => {
    const dockerfile = readFileSync(path.join(root, 'testfile-line', 'Dockerfile'), 'utf8');
    const { nodes, errors } = parseRaw(dockerfile, 'Dockerfile');
    expect(errors).toEqual([]);
    expect(nodes[0]?.startLine).toBe(5);
    expect(nodes[nodes.length - 1]?.endLine).toBe(31);
    expect(nodes.map((n) => [n.startLine, n.endLine])).toEqual([
      [5, 5],
      [11, 12],
      [17, 31],
    ]);
  });
});
