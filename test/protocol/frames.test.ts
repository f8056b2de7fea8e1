import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  blockInvalidEventFrame,
  blockValidEventFrame,
  type CommittedBlock,
  invalidTransactionFrame,
  legacyValidTxFrame,
  normaliseBlock,
  type Transaction,
  validBlockFrame,
  validTransactionFrame,
  validTransactionObjectFrame,
} from '@blockcast/protocol';
import fc from 'fast-check';
import { fixture } from '../support/fixtures.js';

const block1 = normaliseBlock(fixture<CommittedBlock>('bigchaindb-2/block-1.json'));
const bdbTransfer = normaliseBlock({
  height: 2,
  transactions: fixture<Transaction[]>('bigchaindb-2/tx-transfers.json'),
});
const pmTransfer = normaliseBlock({
  height: 9,
  hash: 'ABCDEF',
  transactions: fixture<Transaction[]>('planetmint/tx-transfers.json'),
});

describe('valid_transactions frames', () => {
  test('BigchainDB 2.x: block 1 of the fixtures, byte for byte', () => {
    assert.equal(
      validTransactionFrame('bigchaindb', 1, block1.transactions[0]!),
      '{"height": 1, "asset_id": "4957744b3ac54434b8270f2c854cc1040228c82ea4e72d66d2887a4d3e30b317", "transaction_id": "4957744b3ac54434b8270f2c854cc1040228c82ea4e72d66d2887a4d3e30b317"}',
    );
  });

  test('BigchainDB 2.x: a TRANSFER names the asset it moves', () => {
    assert.equal(
      validTransactionFrame('bigchaindb', 2, bdbTransfer.transactions[0]!),
      '{"height": 2, "asset_id": "4957744b3ac54434b8270f2c854cc1040228c82ea4e72d66d2887a4d3e30b317", "transaction_id": "79ef6803210c941903d63d08b40fa17f0a5a04f11ac0ff04451553a187d97a30"}',
    );
  });

  test('Planetmint: asset_ids as a list', () => {
    assert.equal(
      validTransactionFrame('planetmint', 9, pmTransfer.transactions[0]!),
      '{"height": 9, "asset_ids": ["0fdeb547670bbea980389df53cf5a91e60159339084c6b0b5cc0b5494a679530"], "transaction_id": "8d11fe2bd91c4747a41e0c3dbe1400c511175be42f008d6cff92cbfa9e04f799"}',
    );
  });
});

describe('the valid_transactions template', () => {
  test('writes what the generic writer writes for any height, ids and assets, escapes included', () => {
    const text = fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.string({ unit: 'binary' }), fc.string());
    fc.assert(
      fc.property(
        fc.constantFrom('bigchaindb' as const, 'planetmint' as const),
        fc.oneof(fc.maxSafeNat(), fc.integer(), fc.double()),
        text,
        fc.array(text, { maxLength: 3 }),
        (profile, height, id, assetIds) => {
          const tx = { id, operation: 'TRANSFER', assetIds, publicKeys: [] };
          assert.equal(
            validTransactionFrame(profile, height, tx),
            validTransactionObjectFrame(profile, height, tx),
          );
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('other streams', () => {
  test('valid_blocks lists transaction ids in block order, empty blocks included', () => {
    assert.equal(
      validBlockFrame(pmTransfer),
      '{"height": 9, "hash": "ABCDEF", "transaction_ids": ["8d11fe2bd91c4747a41e0c3dbe1400c511175be42f008d6cff92cbfa9e04f799", "45c929b66d1b10db6c3c3e6b1adddc0778b473fced4a1f403c2646b25f3fd983"]}',
    );
    assert.equal(
      validBlockFrame(normaliseBlock({ height: 3, transactions: [] })),
      '{"height": 3, "hash": null, "transaction_ids": []}',
    );
  });

  test('0.10 valid_tx carries txid, assetid and blockid', () => {
    assert.equal(
      legacyValidTxFrame(pmTransfer, pmTransfer.transactions[1]!),
      '{"txid": "45c929b66d1b10db6c3c3e6b1adddc0778b473fced4a1f403c2646b25f3fd983", "assetid": "0fdeb547670bbea980389df53cf5a91e60159339084c6b0b5cc0b5494a679530", "blockid": "ABCDEF"}',
    );
  });

  test('invalid_transactions carries code and reason', () => {
    assert.equal(
      invalidTransactionFrame(4, { id: 'ab', code: 2, reason: 'input already spent' }),
      '{"height": 4, "transaction_id": "ab", "code": 2, "reason": "input already spent"}',
    );
  });

  test('events frames name their type', () => {
    const valid = JSON.parse(blockValidEventFrame(bdbTransfer)) as { type: string; transactions: unknown[] };
    assert.equal(valid.type, 'BLOCK_VALID');
    assert.equal(valid.transactions.length, 2);
    const invalid = JSON.parse(
      blockInvalidEventFrame(
        normaliseBlock({
          height: 5,
          transactions: [],
          rejected: [
            { transaction: fixture<Transaction>('bigchaindb-2/tx-create.json'), code: 1, log: 'bad' },
          ],
        }),
      ),
    ) as { type: string; height: number; transactions: { code: number }[] };
    assert.deepEqual([invalid.type, invalid.height, invalid.transactions[0]!.code], ['BLOCK_INVALID', 5, 1]);
  });
});
