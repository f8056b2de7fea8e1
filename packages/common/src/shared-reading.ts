/**
 * One reading of `read` answers every caller for `ttlMs`, so a burst of askers (a reconnect storm,
 * a busy catalog) reads once. A reading that fails is forgotten at once; one taken under another
 * `key` (e.g. another epoch) says nothing about this one.
 */
export class SharedReading<T> {
  readonly #read: () => Promise<T>;
  readonly #ttlMs: number;
  #last: { at: number; key: unknown; value: Promise<T> } | undefined;

  constructor(read: () => Promise<T>, ttlMs: number) {
    this.#read = read;
    this.#ttlMs = ttlMs;
  }

  /** The shared reading, read anew when older than the TTL, of another key, or `fresh` is asked. */
  get(options: { key?: unknown; fresh?: boolean } = {}): Promise<T> {
    const now = Date.now();
    const last = this.#last;
    if (options.fresh || last === undefined || last.key !== options.key || now - last.at > this.#ttlMs) {
      const value = this.#read();
      value.catch(() => {
        if (this.#last?.value === value) this.#last = undefined;
      });
      this.#last = { at: now, key: options.key, value };
      return value;
    }
    return last.value;
  }
}
