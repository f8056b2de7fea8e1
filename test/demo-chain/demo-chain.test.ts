/**
 * The demo chain `npm start` runs: blocks through ingest's HTTP API like a node, and a
 * NODE_STATUS generic event every DEMO_STATUS_EVERY_BLOCKS, on a real ingest over a real socket.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '@blockcast/common';
import { DemoChain, loadDemoChainConfig } from '@blockcast/demo-chain';
import { redisSkip, startIngest, TOKEN } from '../ingest/ingest-harness.js';

const logger = createLogger({ name: 'demo-chain-test', level: 'silent' });

describe('DemoChain', { skip: redisSkip }, () => {
  test('commits consecutive blocks and emits NODE_STATUS after every second block, in bus order', async (t) => {
    const ingest = await startIngest(t);
    const { url } = await ingest.app.start();
    const chain = new DemoChain({ ingestUrl: url, token: TOKEN, statusEveryBlocks: 2, logger });
    for (let i = 0; i < 4; i += 1) await chain.commitOne();
    const entries = await ingest.log.readEntries({ height: 0, seq: 0 }, 100);
    assert.deepEqual(
      entries.map((entry) =>
        entry.kind === 'event' ? `${entry.height}-${entry.seq} ${entry.type}` : `${entry.height}`,
      ),
      ['1', '2', '2-1 NODE_STATUS', '3', '4', '4-1 NODE_STATUS'],
    );
    const status = entries.find((entry) => entry.kind === 'event');
    assert.deepEqual(status?.content, { node_id: 'demo-node', status: 'up', height: 2 });
  });

  test('a demo chain started against a log that already holds other blocks goes on after them', async (t) => {
    const ingest = await startIngest(t);
    const { url } = await ingest.app.start();
    const first = new DemoChain({ ingestUrl: url, token: TOKEN, statusEveryBlocks: 0, logger });
    for (let i = 0; i < 3; i += 1) await first.commitOne();
    // A restart: a new ledger starts at height 1, whose made-up block conflicts with the log's.
    const restarted = new DemoChain({ ingestUrl: url, token: TOKEN, statusEveryBlocks: 0, logger });
    await restarted.commitOne();
    const entries = await ingest.log.readEntries({ height: 0, seq: 0 }, 100);
    assert.deepEqual(
      entries.map((entry) => entry.height),
      [1, 2, 3, 4],
    );
  });

  test('a status emitted twice for one height is one event (Idempotency-Key), and 0 turns statuses off', async (t) => {
    const ingest = await startIngest(t);
    const { url } = await ingest.app.start();
    const quiet = new DemoChain({ ingestUrl: url, token: TOKEN, statusEveryBlocks: 0, logger });
    for (let i = 0; i < 3; i += 1) await quiet.commitOne();
    await quiet.emitStatus(3);
    await quiet.emitStatus(3);
    const entries = await ingest.log.readEntries({ height: 0, seq: 0 }, 100);
    assert.equal(entries.filter((entry) => entry.kind === 'event').length, 1);
  });

  test('blocks carry rejected double spends of outputs spent at or before them, so invalid_transactions has frames', async (t) => {
    const ingest = await startIngest(t);
    const { url } = await ingest.app.start();
    const chain = new DemoChain({
      ingestUrl: url,
      token: TOKEN,
      statusEveryBlocks: 0,
      rejectChance: 1,
      logger,
    });
    for (let i = 0; i < 30; i += 1) await chain.commitOne();
    const blocks = (await ingest.log.readEntries({ height: 0, seq: 0 }, 100)).filter(
      (entry) => entry.kind === 'block',
    );
    const rejected = blocks.flatMap((block) => block.rejected.map((tx) => ({ height: block.height, tx })));
    assert.ok(rejected.length > 0, 'no block of 30 carried a rejected transaction');
    for (const { height, tx } of rejected) {
      assert.equal(tx.code, 1);
      assert.match(tx.reason, /^DoubleSpend: input [0-9a-f]{64}\/0 was already spent$/);
      const input = /input ([0-9a-f]{64})/.exec(tx.reason)![1];
      const spender = blocks.find(
        (block) =>
          block.height <= height &&
          block.transactions.some(
            (valid) => valid.operation === 'TRANSFER' && valid.assetIds.includes(tx.assetIds[0]!),
          ),
      );
      assert.ok(
        spender,
        `the output ${input} the double spend at ${height} names was not spent at or before that height`,
      );
    }
  });

  test('DEMO_REJECT_PERCENT defaults to 20 and is a share of blocks', () => {
    assert.equal(loadDemoChainConfig({}).rejectChance, 0.2);
    assert.equal(loadDemoChainConfig({ DEMO_REJECT_PERCENT: '0' }).rejectChance, 0);
    assert.throws(() => loadDemoChainConfig({ DEMO_REJECT_PERCENT: '101' }), /DEMO_REJECT_PERCENT/);
  });

  test('DEMO_STATUS_EVERY_BLOCKS defaults to 10, and a negative value names the variable', () => {
    assert.equal(loadDemoChainConfig({}).statusEveryBlocks, 10);
    assert.throws(() => loadDemoChainConfig({ DEMO_STATUS_EVERY_BLOCKS: '-1' }), /DEMO_STATUS_EVERY_BLOCKS/);
  });
});
