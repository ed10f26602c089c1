// Golden typed-parse results: test/fixtures/parse/<name>/Dockerfile → expected.json.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../test/helpers/env.js';
import { parseDockerfile } from './index.js';

const dir = path.join(repoRoot, 'test', 'fixtures', 'parse');
const names = readdirSync(dir).sort();

describe('parse fixtures', () => {
  it('exist', () => {
    expect(names.length).toBeGreaterThanOrEqual(3);
  });
  for (const name of names) {
    it(name, () => {
      const text = readFileSync(path.join(dir, name, 'Dockerfile'), 'utf8');
      const expected: unknown = JSON.parse(readFileSync(path.join(dir, name, 'expected.json'), 'utf8'));
      // JSON round trip drops undefined members, as the golden file has none.
      expect(JSON.parse(JSON.stringify(parseDockerfile(text, 'Dockerfile')))).toEqual(expected);
    });
  }
});
