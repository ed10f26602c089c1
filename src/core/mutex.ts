// In-process mutex keyed by name, so concurrent callers in one process take turns.
import { abortError } from './errors.js';

interface Waiter {
  wake: () => void;
}

class Mutex {
  locked = false;
  readonly waiters: Waiter[] = [];
}

const mutexes = new Map<string, Mutex>();

export type Release = () => void;

/**
 * Waits for the named mutex. The returned function releases it exactly once.
 * `deadline` (epoch ms) makes the wait fail with `onTimeout()`.
 */
export async function acquireMutex(
  key: string,
  opts: { signal?: AbortSignal; deadline?: number; onTimeout: () => Error },
): Promise<Release> {
  let m = mutexes.get(key);
  if (!m) {
    m = new Mutex();
    mutexes.set(key, m);
  }
  const mutex = m;
  if (mutex.locked) {
    await new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        wake: () => {
          cleanup();
          resolve();
        },
      };
      const drop = (err: Error): void => {
        const i = mutex.waiters.indexOf(waiter);
        if (i >= 0) mutex.waiters.splice(i, 1);
        cleanup();
        reject(err);
      };
      const onAbort = (): void => drop(abortError(opts.signal));
      if (opts.signal?.aborted) return drop(abortError(opts.signal));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.deadline !== undefined) {
        timer = setTimeout(() => drop(opts.onTimeout()), Math.max(0, opts.deadline - Date.now()));
      }
      mutex.waiters.push(waiter);
    });
  } else {
    mutex.locked = true;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const next = mutex.waiters.shift();
    // Ownership passes straight to the next waiter, so `locked` stays true.
    if (next) next.wake();
    else {
      mutex.locked = false;
      mutexes.delete(key);
    }
  };
}
