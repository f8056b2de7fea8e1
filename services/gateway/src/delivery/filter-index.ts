import { matchesFilter, type TransactionEvent, type TransactionFilter } from '@blockcast/protocol';

interface IndexedFilter {
  key: string;
  filter: TransactionFilter;
  /** One parameter only: being found under one of its values is the whole match. */
  exact: boolean;
}

/**
 * Filtered subscriptions indexed by the values they name, so a transaction is matched against
 * the subscriptions that mention one of its keys, assets or its operation — never against all of
 * them. Each filter is indexed under one of its parameters (the most selective it has); a filter
 * with other parameters is then confirmed by the full predicate, one with none is matched already.
 */
export class FilterIndex {
  readonly #filters = new Map<string, IndexedFilter>();
  readonly #byPublicKey = new Map<string, IndexedFilter[]>();
  readonly #byAssetId = new Map<string, IndexedFilter[]>();
  readonly #byOperation = new Map<string, IndexedFilter[]>();

  get size(): number {
    return this.#filters.size;
  }

  add(key: string, filter: TransactionFilter): void {
    if (this.#filters.has(key)) return;
    const [index, values] = this.#dimension(filter);
    const parameters = [filter.publicKeys, filter.assetIds, filter.operations].filter((v) => v.length > 0);
    const indexed: IndexedFilter = { key, filter, exact: parameters.length === 1 };
    this.#filters.set(key, indexed);
    for (const value of values) {
      const filters = index.get(value);
      if (filters === undefined) index.set(value, [indexed]);
      else filters.push(indexed);
    }
  }

  remove(key: string): void {
    const indexed = this.#filters.get(key);
    if (indexed === undefined) return;
    this.#filters.delete(key);
    const [index, values] = this.#dimension(indexed.filter);
    for (const value of values) {
      const rest = index.get(value)?.filter((other) => other !== indexed) ?? [];
      if (rest.length === 0) index.delete(value);
      else index.set(value, rest);
    }
  }

  /**
   * For every filter that some of `transactions` satisfy: their positions, in order, each once (a
   * transaction paying two keys of one filter is found twice and kept once).
   */
  select(transactions: readonly TransactionEvent[]): Map<string, number[]> {
    const selected = new Map<string, number[]>();
    const operations = this.#byOperation.size > 0;
    for (let i = 0; i < transactions.length; i += 1) {
      const tx = transactions[i]!;
      for (const publicKey of tx.publicKeys) collect(this.#byPublicKey.get(publicKey), tx, i, selected);
      for (const assetId of tx.assetIds) collect(this.#byAssetId.get(assetId), tx, i, selected);
      if (operations) collect(this.#byOperation.get(tx.operation), tx, i, selected);
    }
    return selected;
  }

  #dimension(filter: TransactionFilter): [Map<string, IndexedFilter[]>, readonly string[]] {
    if (filter.publicKeys.length > 0) return [this.#byPublicKey, filter.publicKeys];
    if (filter.assetIds.length > 0) return [this.#byAssetId, filter.assetIds];
    return [this.#byOperation, filter.operations];
  }
}

/** Adds position `i` to every candidate filter that `tx` satisfies and that does not hold it yet. */
function collect(
  candidates: readonly IndexedFilter[] | undefined,
  tx: TransactionEvent,
  i: number,
  selected: Map<string, number[]>,
): void {
  if (candidates === undefined) return;
  for (const candidate of candidates) {
    const positions = selected.get(candidate.key);
    // Positions arrive in order, so a repeat can only be the last one.
    if (positions !== undefined && positions[positions.length - 1] === i) continue;
    if (!candidate.exact && !matchesFilter(candidate.filter, tx)) continue;
    if (positions === undefined) selected.set(candidate.key, [i]);
    else positions.push(i);
  }
}
