import { describe, expect, it } from 'vitest';
import { blake3Hex, canonicalJson } from '../core/index.js';
import { canonicalFlatJson, keyOf } from './cache.js';

describe('cache key serialization', () => {
  const files: Record<string, string> = {
    'b/c': 'file 644 0:0 - abc',
    'a.txt': 'file 644 0:0 - def',
    a: 'dir 755 0:0 - -',
    'a/b': 'file 600 1:1 - 123',
    '10': 'file 644 0:0 - x',
    '9': 'file 644 0:0 - y',
    '01': 'file 644 0:0 - z',
    '4294967295': 'file 644 0:0 - big',
    'ünï/"q"\n': 'symlink 777 0:0 "t" -',
    '😀': 'file 644 0:0 - e',
    '\uffff': 'file 644 0:0 - f',
    'x ->': 'y',
  };

  it('serializes a flat map exactly like canonicalJson', () => {
    expect(canonicalFlatJson(files)).toBe(canonicalJson(files));
    expect(canonicalFlatJson({})).toBe(canonicalJson({}));
    const inOrder = { '2': 'x', '10': 'y', '.': 'd', a: 'd', 'a.txt': 'f', 'a/b': 'f' };
    expect(canonicalFlatJson(inOrder)).toBe(canonicalJson(inOrder));
  });

  it('gives the same key as hashing the canonical preimage', () => {
    const op = { type: 'file', action: { kind: 'copy', sources: ['.'], dest: '/app', z: undefined }, env: ['A=1'] };
    const inputs = ['k1', 'k2'];
    expect(keyOf({ op, inputs, files })).toBe(blake3Hex(canonicalJson({ op, inputs, files })));
    expect(keyOf({ op, inputs })).toBe(blake3Hex(canonicalJson({ op, inputs, files: null })));
  });

  it('changes with any file', () => {
    const op = { type: 'file' };
    expect(keyOf({ op, inputs: [], files })).not.toBe(keyOf({ op, inputs: [], files: { ...files, a: 'dir 700 0:0 - -' } }));
  });
});
