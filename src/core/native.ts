// Lazily loaded modules: native addons and the heavier node builtins are loaded on first use, so a
// command that never needs them (a fully cached build, `parse`) does not pay for loading them.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Http from 'node:http';
import type * as Https from 'node:https';
import type * as Tls from 'node:tls';
import type * as Zlib from 'node:zlib';
import type * as BlakeHash from '@napi-rs/blake-hash';
import type * as ZstdNapi from 'zstd-napi';

const load = createRequire(import.meta.url);

function once<T>(f: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= f());
}

/**
 * The blake3 addon. The package's own loader asks `process.report` whether libc is musl, which
 * costs several milliseconds per start; on glibc x64 the platform package is loaded directly.
 */
export const blakeHash = once((): typeof BlakeHash => {
  if (process.platform === 'linux' && process.arch === 'x64' && isGlibc()) {
    try {
      return load('@napi-rs/blake-hash-linux-x64-gnu') as typeof BlakeHash;
    } catch {
      // fall through to the package's own platform detection
    }
  }
  return load('@napi-rs/blake-hash') as typeof BlakeHash;
});

/** musl systems ship their dynamic loader under this name; glibc ones do not. */
function isGlibc(): boolean {
  return !existsSync('/lib/ld-musl-x86_64.so.1');
}

export const zstd = once((): typeof ZstdNapi => load('zstd-napi') as typeof ZstdNapi);
export const http = once((): typeof Http => load('node:http') as typeof Http);
export const https = once((): typeof Https => load('node:https') as typeof Https);
export const tls = once((): typeof Tls => load('node:tls') as typeof Tls);
/** Compression: a cached build that writes no layer never loads it. */
export const zlib = once((): typeof Zlib => load('node:zlib') as typeof Zlib);
