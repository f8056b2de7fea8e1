import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assetIdsOf,
  type CommittedBlock,
  normaliseBlock,
  publicKeysOf,
  type Transaction,
} from '@blockcast/protocol';
import { fixture } from '../support/fixtures.js';

const bdbCreate = fixture<Transaction>('bigchaindb-2/tx-create.json');
const bdbTransfers = fixture<Transaction[]>('bigchaindb-2/tx-transfers.json');
const pmCreate = fixture<Transaction>('planetmint/tx-create.json');
const pmTransfers = fixture<Transaction[]>('planetmint/tx-transfers.json');

describe('asset ids', () => {
  test('a BigchainDB 2.0 CREATE is its own asset', () => {
    assert.deepEqual(assetIdsOf(bdbCreate), [
      '4957744b3ac54434b8270f2c854cc1040228c82ea4e72d66d2887a4d3e30b317',
    ]);
  });

  test('a BigchainDB 2.0 TRANSFER carries the asset.id it spends', () => {
    for (const tx of bdbTransfers) {
      assert.deepEqual(assetIdsOf(tx), ['4957744b3ac54434b8270f2c854cc1040228c82ea4e72d66d2887a4d3e30b317']);
      assert.notEqual(tx.id, '4957744b3ac54434b8270f2c854cc1040228c82ea4e72d66d2887a4d3e30b317');
    }
  });

  test('a null asset (validator election, vote) falls back to the transaction id', () => {
    const election = { ...bdbCreate, id: 'e'.repeat(64), operation: 'VALIDATOR_ELECTION', asset: null };
    assert.deepEqual(assetIdsOf(election), ['e'.repeat(64)]);
    const vote = { ...bdbCreate, id: 'f'.repeat(64), operation: 'VOTE', asset: { id: 'e'.repeat(64) } };
    assert.deepEqual(assetIdsOf(vote), ['e'.repeat(64)]);
  });

  test('a Planetmint CREATE with an assets array is its own asset', () => {
    assert.deepEqual(assetIdsOf(pmCreate), [pmCreate.id]);
  });

  test('a Planetmint TRANSFER lists every asset id in order', () => {
    assert.deepEqual(assetIdsOf(pmTransfers[0]!), [
      '0fdeb547670bbea980389df53cf5a91e60159339084c6b0b5cc0b5494a679530',
    ]);
    const multi = { ...pmTransfers[0]!, assets: [{ id: 'a'.repeat(64) }, { id: 'b'.repeat(64) }] };
    assert.deepEqual(assetIdsOf(multi), ['a'.repeat(64), 'b'.repeat(64)]);
  });

  test('Planetmint assets given as one object count as one asset, not the object itself', () => {
    const single = { ...pmTransfers[0]!, assets: { id: 'c'.repeat(64) } };
    assert.deepEqual(assetIdsOf(single), ['c'.repeat(64)]);
    const created = { ...pmCreate, assets: { data: { msg: 'x' } } };
    assert.deepEqual(assetIdsOf(created), [pmCreate.id]);
  });

  test('Planetmint assets null gives the transaction id', () => {
    assert.deepEqual(assetIdsOf({ ...pmCreate, assets: null }), [pmCreate.id]);
  });
});

describe('public keys', () => {
  test('union of every output, first-seen order, no duplicates', () => {
    const tx: Transaction = {
      ...bdbCreate,
      outputs: [
        { public_keys: ['K1', 'K2'] },
        { public_keys: ['K2', 'K3'] },
        { public_keys: null },
        { public_keys: ['K1'] },
      ],
    };
    assert.deepEqual(publicKeysOf(tx), ['K1', 'K2', 'K3']);
  });

  test('null outputs and null public_keys give no keys', () => {
    assert.deepEqual(publicKeysOf({ ...bdbCreate, outputs: null }), []);
    assert.deepEqual(publicKeysOf({ ...bdbCreate, outputs: [{ public_keys: null }] }), []);
  });
});

describe('normaliseBlock', () => {
  const block = fixture<CommittedBlock>('bigchaindb-2/block-1.json');

  test('keeps height, block order and the fixture ids', () => {
    const event = normaliseBlock({ ...block, transactions: [...block.transactions, ...bdbTransfers] }, 1234);
    assert.equal(event.height, 1);
    assert.equal(event.ingestedAt, 1234);
    assert.deepEqual(
      event.transactions.map((tx) => tx.id),
      [block.transactions[0]!.id, bdbTransfers[0]!.id, bdbTransfers[1]!.id],
    );
    assert.deepEqual(event.transactions[1]!.publicKeys, ['3yfQPHeWAa1MxTX9Zf9176QqcpcnWcanVZZbaHb8B3h9']);
    assert.equal(event.transactions[1]!.operation, 'TRANSFER');
  });

  test('an empty block is an event with no transactions', () => {
    const event = normaliseBlock({ height: 7, transactions: [] });
    assert.deepEqual(event.transactions, []);
    assert.deepEqual(event.rejected, []);
    assert.equal(event.hash, null);
  });

  test('rejected transactions keep their code and reason', () => {
    const event = normaliseBlock({
      height: 2,
      transactions: [],
      rejected: [{ transaction: bdbTransfers[0]!, code: 3, log: 'double spend' }],
    });
    assert.deepEqual(
      event.rejected.map(({ id, code, reason }) => ({ id, code, reason })),
      [{ id: bdbTransfers[0]!.id, code: 3, reason: 'double spend' }],
    );
  });

  test('the digest ignores key order but not content', () => {
    const reordered = JSON.parse(
      JSON.stringify({ transactions: block.transactions, height: block.height }),
    ) as CommittedBlock;
    assert.equal(normaliseBlock(reordered).digest, normaliseBlock(block).digest);
    const changed = { ...block, transactions: [{ ...block.transactions[0]!, metadata: { sequence: 1 } }] };
    assert.notEqual(normaliseBlock(changed).digest, normaliseBlock(block).digest);
  });
});
