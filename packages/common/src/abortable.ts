/** Waiting that an AbortSignal can cut short: tails must end promptly, whatever they wait on. */

export const ABORTED: unique symbol = Symbol('aborted');

/** Settles like `promise`, or with {@link ABORTED} as soon as `signal` aborts (then a late rejection is ignored). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.resolve(ABORTED);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {});
      resolve(ABORTED);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Resolves after `ms`, or early when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * A signal that aborts when `outer` does or when `abort()` is called (the log closing); `dispose()`
 * detaches from `outer`, so a long-lived caller signal does not collect one listener per tail.
 */
export function linkedAbort(outer: AbortSignal): { signal: AbortSignal; abort(): void; dispose(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (outer.aborted) abort();
  else outer.addEventListener('abort', abort, { once: true });
  return { signal: controller.signal, abort, dispose: () => outer.removeEventListener('abort', abort) };
}

/** Settles like `promise`, or rejects with `DeadlineError` after `ms`; the timer never outlives the promise. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      promise.catch(() => {});
      reject(new DeadlineError(`${what}: no answer within ${ms} ms`));
    }, ms);
    // A watchdog only: whatever is awaited keeps the process alive if it should.
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

export class DeadlineError extends Error {
  override name = 'DeadlineError';
}
