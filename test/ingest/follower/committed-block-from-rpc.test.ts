/** Decoding a height's /block and /block_results into the block ingest appends. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeTransaction } from '@blockcast/devkit';
import { committedBlockFromRpc } from '../../../services/ingest/src/follower/committed-block-from-rpc.js';
import type { RpcBlock } from '../../../services/ingest/src/follower/rpc-shapes.js';

function rpcBlock(height: number, txs: string[]): RpcBlock {
  return {
    block_id: { hash: 'AB'.repeat(32) },
    block: {
      header: { height: String(height), chain_id: 'c' },
      data: { txs: txs.map((tx) => Buffer.from(tx).toString('base64')) },
    },
  };
}

describe('committedBlockFromRpc', () => {
  test('code 0 is committed, any other code is rejected with its log, in block order', () => {
    const [a, b, c] = [makeTransaction(), makeTransaction(), makeTransaction()];
    const { block, skipped } = committedBlockFromRpc(
      rpcBlock(
        7,
        [a, b, c].map((tx) => JSON.stringify(tx)),
      ),
      {
        height: '7',
        txs_results: [{ code: 0 }, { code: 5, log: 'bad input' }, { code: 0, log: '' }],
      },
    );
    assert.deepEqual(skipped, []);
    assert.deepEqual(block, {
      height: 7,
      hash: 'AB'.repeat(32),
      chain_id: 'c',
      transactions: [a, c],
      rejected: [{ transaction: b, code: 5, log: 'bad input' }],
    });
  });

  test('refuses results that do not fit the block, so nothing is appended from a half answer', () => {
    const tx = JSON.stringify(makeTransaction());
    assert.throws(
      () => committedBlockFromRpc(rpcBlock(3, [tx]), { height: '3', txs_results: null }),
      /1 transactions but 0 results/,
    );
    assert.throws(
      () => committedBlockFromRpc(rpcBlock(3, [tx]), { height: '4', txs_results: [{ code: 0 }] }),
      /for height 4/,
    );
  });

  test('transactions that are not BigchainDB JSON are skipped with the reason, by index', () => {
    const ok = makeTransaction();
    const { block, skipped } = committedBlockFromRpc(
      rpcBlock(2, [
        'key=value',
        '[1]',
        JSON.stringify({ id: 'short', operation: 'CREATE' }),
        JSON.stringify(ok),
      ]),
      { height: '2', txs_results: [{ code: 0 }, { code: 0 }, { code: 1 }, { code: 0 }] },
    );
    assert.deepEqual(skipped, [
      { index: 0, reason: 'not JSON' },
      { index: 1, reason: 'not a JSON object' },
      { index: 2, reason: 'no id of 64 lowercase hex characters' },
    ]);
    assert.deepEqual(block.transactions, [ok]);
  });

  test('a transaction holding a number a double cannot keep exactly is skipped naming where, never streamed altered', () => {
    const ok = makeTransaction();
    const text = JSON.stringify(makeTransaction({ metadata: { amount: 'AMOUNT' } }));
    const { block, skipped } = committedBlockFromRpc(
      rpcBlock(2, [
        text.replace('"AMOUNT"', '18446744073709551617'),
        text.replace('"AMOUNT"', '1e400'),
        JSON.stringify(ok),
      ]),
      { height: '2', txs_results: [{ code: 0 }, { code: 1 }, { code: 0 }] },
    );
    const reason =
      'a number that cannot be kept exactly (infinite, or an integer beyond 2^53) at /metadata/amount';
    assert.deepEqual(skipped, [
      { index: 0, reason },
      { index: 1, reason },
    ]);
    assert.deepEqual(block.transactions, [ok]);
    assert.equal(block.rejected, undefined);
  });

  test('a height beyond 2^53 is refused rather than rounded onto another height', () => {
    assert.throws(
      () =>
        committedBlockFromRpc(
          {
            ...rpcBlock(1, []),
            block: { header: { height: '9007199254740993', chain_id: 'c' }, data: { txs: [] } },
          },
          { height: '9007199254740993', txs_results: [] },
        ),
      /height 9007199254740993 is beyond/,
    );
  });
});
