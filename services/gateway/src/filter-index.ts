import { matchesFilter, type TransactionEvent, type TransactionFilter } from '@blockcast/protocol';

/**
 * Filtered subscriptions indexed by the values they name, so a transaction is matched against
 * the subscriptions that mention one of its keys, assets or its operation — never against all of
 * them. Each filter is indexed under one of its parameters (the most selective it has); the full
 * predicate then confirms the candidates.
 */
export class FilterIndex {
  readonly #filters = new Map<string, TransactionFilter>();
  readonly #byPublicKey = new Map<string, Set<string>>();
  readonly #byAssetId = new Map<string, Set<string>>();
  readonly #byOperation = new Map<string, Set<string>>();

  get size(): number {
    return this.#filters.size;
  }

  add(key: string, filter: TransactionFilter): void {
    if (this.#filters.has(key)) return;
    this.#filters.set(key, filter);
    const [index, values] = this.#dimension(filter);
    for (const value of values) {
      const keys = index.get(value) ?? new Set<string>();
      keys.add(key);
      index.set(value, keys);
    }
  }

  remove(key: string): void {
    const filter = this.#filters.get(key);
    if (filter === undefined) return;
    this.#filters.delete(key);
    const [index, values] = this.#dimension(filter);
    for (const value of values) {
      const keys = index.get(value);
      keys?.delete(key);
      if (keys?.size === 0) index.delete(value);
    }
  }

  /** Keys of the filters `tx` satisfies. */
  matches(tx: TransactionEvent): Set<string> {
    const matched = new Set<string>();
    const consider = (keys: Set<string> | undefined) => {
      for (const key of keys ?? []) {
        if (!matched.has(key) && matchesFilter(this.#filters.get(key)!, tx)) matched.add(key);
      }
    };
    for (const publicKey of tx.publicKeys) consider(this.#byPublicKey.get(publicKey));
    for (const assetId of tx.assetIds) consider(this.#byAssetId.get(assetId));
    consider(this.#byOperation.get(tx.operation));
    return matched;
  }

  #dimension(filter: TransactionFilter): [Map<string, Set<string>>, readonly string[]] {
    if (filter.publicKeys.length > 0) return [this.#byPublicKey, filter.publicKeys];
    if (filter.assetIds.length > 0) return [this.#byAssetId, filter.assetIds];
    return [this.#byOperation, filter.operations];
  }
}
