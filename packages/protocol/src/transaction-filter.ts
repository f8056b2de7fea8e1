import type { TransactionEvent } from './block-event.js';

/**
 * What a client selects with `public_key=`, `asset_id=` and `operation=`: within one parameter
 * any value matches (OR), different parameters must all match (AND); an empty list does not
 * constrain. Values are kept sorted and unique, so equal selections have one canonical key.
 */
export interface TransactionFilter {
  publicKeys: readonly string[];
  assetIds: readonly string[];
  operations: readonly string[];
}

export function createFilter(parts: Partial<TransactionFilter>): TransactionFilter {
  const canonical = (values: readonly string[] = []) => [...new Set(values)].sort();
  return {
    publicKeys: canonical(parts.publicKeys),
    assetIds: canonical(parts.assetIds),
    operations: canonical(parts.operations),
  };
}

export function isEmptyFilter(filter: TransactionFilter): boolean {
  return filter.publicKeys.length === 0 && filter.assetIds.length === 0 && filter.operations.length === 0;
}

/** The canonical query of a filter: clients with the same selection share one key (and one topic). */
export function filterKey(filter: TransactionFilter): string {
  const parts: string[] = [];
  if (filter.assetIds.length > 0) parts.push(`asset_id=${filter.assetIds.join(',')}`);
  if (filter.operations.length > 0) parts.push(`operation=${filter.operations.join(',')}`);
  if (filter.publicKeys.length > 0) parts.push(`public_key=${filter.publicKeys.join(',')}`);
  return parts.join('&');
}

/** The reference predicate; the gateway's index must select exactly the transactions this accepts. */
export function matchesFilter(filter: TransactionFilter, tx: TransactionEvent): boolean {
  if (filter.operations.length > 0 && !filter.operations.includes(tx.operation)) return false;
  if (filter.assetIds.length > 0 && !tx.assetIds.some((id) => filter.assetIds.includes(id))) return false;
  if (filter.publicKeys.length > 0 && !tx.publicKeys.some((key) => filter.publicKeys.includes(key)))
    return false;
  return true;
}
