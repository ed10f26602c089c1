// Errors from deeper layers learn which Dockerfile line they belong to here, once.
import { TsbuildError } from '../core/index.js';
import type { Vertex } from '../graph/index.js';

export async function locate<T>(v: Vertex, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof TsbuildError && !e.location && v.meta.location) {
      throw new TsbuildError(e.code, e.message, { location: v.meta.location, cause: e, ...(e.detail ? { detail: e.detail } : {}) });
    }
    throw e;
  }
}
