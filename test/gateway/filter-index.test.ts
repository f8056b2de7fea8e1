import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type BlockEvent,
  createFilter,
  filterKey,
  selectTransactions,
  type TransactionEvent,
} from '@blockcast/protocol';
import fc from 'fast-check';
import { FilterIndex } from '../../services/gateway/src/delivery/filter-index.js';

const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4'];
const ASSETS = ['a0', 'a1', 'a2'];
const OPERATIONS = ['CREATE', 'TRANSFER'];

const anyFilter = fc
  .record({
    publicKeys: fc.subarray(KEYS, { maxLength: 3 }),
    assetIds: fc.subarray(ASSETS, { maxLength: 2 }),
    operations: fc.subarray(OPERATIONS, { maxLength: 1 }),
  })
  .map(createFilter)
  .filter((f) => f.publicKeys.length + f.assetIds.length + f.operations.length > 0);

const anyTransaction = fc.record({
  id: fc.stringMatching(/^[0-9a-f]{4}$/),
  operation: fc.constantFrom(...OPERATIONS),
  assetIds: fc.subarray(ASSETS, { maxLength: 2 }),
  publicKeys: fc.subarray(KEYS, { maxLength: 3 }),
});

function blockOf(transactions: TransactionEvent[]): BlockEvent {
  return { height: 1, hash: null, chainId: null, transactions, rejected: [], digest: 'd', ingestedAt: 0 };
}

test('the index selects exactly what the reference predicate selects, in order, each transaction once', () => {
  fc.assert(
    fc.property(
      fc.array(anyFilter, { minLength: 1, maxLength: 8 }),
      fc.array(anyTransaction, { maxLength: 12 }),
      fc.nat(),
      (filters, transactions, removed) => {
        const index = new FilterIndex();
        for (const filter of filters) index.add(filterKey(filter), filter);
        // Removing one checks that the index forgets it under every value it was filed under.
        const gone = filterKey(filters[removed % filters.length]!);
        index.remove(gone);
        const selected = index.select(transactions);
        const block = blockOf(transactions);
        const expected = new Map<string, number[]>();
        for (const filter of filters) {
          const key = filterKey(filter);
          const positions = selectTransactions(filter, block).valid;
          if (key !== gone && positions.length > 0) expected.set(key, [...positions]);
        }
        assert.deepEqual(
          new Map([...selected].sort(([a], [b]) => a.localeCompare(b))),
          new Map([...expected].sort(([a], [b]) => a.localeCompare(b))),
        );
      },
    ),
    { numRuns: 2000 },
  );
});

test('a transaction paying two keys of one filter is selected once', () => {
  const index = new FilterIndex();
  const filter = createFilter({ publicKeys: ['k0', 'k1'] });
  index.add(filterKey(filter), filter);
  const tx = { id: 't', operation: 'CREATE', assetIds: [], publicKeys: ['k0', 'k1'] };
  assert.deepEqual(index.select([tx, tx]), new Map([[filterKey(filter), [0, 1]]]));
});

test('a filter with several parameters is confirmed by all of them, not just the one it is indexed under', () => {
  const index = new FilterIndex();
  const filter = createFilter({ publicKeys: ['k0'], operations: ['TRANSFER'] });
  index.add(filterKey(filter), filter);
  const create = { id: 'c', operation: 'CREATE', assetIds: [], publicKeys: ['k0'] };
  const transfer = { id: 't', operation: 'TRANSFER', assetIds: [], publicKeys: ['k0'] };
  assert.deepEqual(index.select([create, transfer]), new Map([[filterKey(filter), [1]]]));
});
