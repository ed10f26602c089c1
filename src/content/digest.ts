// Digest checks shared by the content store: format validation and hex extraction for blob paths.
import { TsbuildError, isDigest, type Digest } from '../core/index.js';

/** Returns the hex part of a sha256 digest; rejects anything that could escape the blob directory. */
export function digestHex(d: string): string {
  if (!isDigest(d)) throw new TsbuildError('TSB4008', `invalid digest ${JSON.stringify(d)} (want sha256:<64 lowercase hex>)`);
  return d.slice('sha256:'.length);
}

export function asDigest(hex: string): Digest {
  return `sha256:${hex}`;
}
