// Hash helpers: sha256 for everything in OCI output, blake3 for internal cache keys.
import { createHash } from 'node:crypto';
import { blakeHash } from './native.js';
import type { Digest } from './types.js';

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** blake3 hex of the input (internal cache keys, vertex digests, file content hashes). */
export function blake3Hex(data: string | Uint8Array): string {
  return blakeHash().blake3(typeof data === 'string' ? Buffer.from(data) : Buffer.from(data)).toString('hex');
}

/** JSON with object keys sorted at every level: the canonical form for hashing plain data. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}
