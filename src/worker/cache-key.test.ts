import { describe, expect, it } from 'vitest';
import { blake3Hex, canonicalJson } from '../core/index.js';
import { filesDigest } from '../context/index.js';
import { keyOf } from './cache.js';

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

  it('digests a flat map by its sorted entries, whatever order it was built in', () => {
    const expected = blake3Hex(Object.keys(files).sort().map((k) => `${JSON.stringify([k, files[k]])}\n`).join(''));
    expect(filesDigest(files)).toBe(expected);
    const reversed = Object.fromEntries(Object.entries(files).reverse());
    expect(filesDigest(reversed)).toBe(expected);
    expect(filesDigest({})).toBe(blake3Hex(''));
    // An entry boundary cannot be forged by moving text between a path and its description.
    expect(filesDigest({ a: 'b c' })).not.toBe(filesDigest({ 'a b': 'c' }));
  });

  it('gives the same key as hashing the canonical preimage, with the files map as its digest', () => {
    const op = { type: 'file', action: { kind: 'copy', sources: ['.'], dest: '/app', z: undefined }, env: ['A=1'] };
    const inputs = ['k1', 'k2'];
    const key = keyOf({ op, inputs, files });
    expect(key).toBe(blake3Hex(canonicalJson({ op, inputs, files: filesDigest(files) })));
    expect(keyOf({ op, inputs, filesDigest: filesDigest(files) })).toBe(key);
    expect(keyOf({ op, inputs })).toBe(blake3Hex(canonicalJson({ op, inputs, files: null })));
  });

  it('changes with any file', () => {
    const op = { type: 'file' };
    expect(keyOf({ op, inputs: [], files })).not.toBe(keyOf({ op, inputs: [], files: { ...files, a: 'dir 700 0:0 - -' } }));
    const { 'x ->': _gone, ...fewer } = files;
    expect(keyOf({ op, inputs: [], files })).not.toBe(keyOf({ op, inputs: [], files: fewer }));
    expect(keyOf({ op, inputs: [], files })).not.toBe(keyOf({ op, inputs: [] }));
  });
});
