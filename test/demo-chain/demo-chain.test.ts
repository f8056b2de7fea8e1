/**
 * The demo chain `npm start` runs: blocks through ingest's HTTP API like a node, and a
 * NODE_STATUS generic event every DEMO_STATUS_EVERY_BLOCKS, on a real ingest over a real socket.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '@blockcast/common';
import { DemoChain, loadDemoChainConfig } from '@blockcast/demo-chain';
import { isGenericEvent } from '@blockcast/protocol';
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
        isGenericEvent(entry) ? `${entry.height}-${entry.seq} ${entry.type}` : `${entry.height}`,
      ),
      ['1', '2', '2-1 NODE_STATUS', '3', '4', '4-1 NODE_STATUS'],
    );
    const status = entries.find(isGenericEvent);
    assert.deepEqual(status?.content, { node_id: 'demo-node', status: 'up', height: 2 });
  });

  test('a status emitted twice for one height is one event (Idempotency-Key), and 0 turns statuses off', async (t) => {
    const ingest = await startIngest(t);
    const { url } = await ingest.app.start();
    const quiet = new DemoChain({ ingestUrl: url, token: TOKEN, statusEveryBlocks: 0, logger });
    for (let i = 0; i < 3; i += 1) await quiet.commitOne();
    await quiet.emitStatus(3);
    await quiet.emitStatus(3);
    const entries = await ingest.log.readEntries({ height: 0, seq: 0 }, 100);
    assert.equal(entries.filter(isGenericEvent).length, 1);
  });

  test('DEMO_STATUS_EVERY_BLOCKS defaults to 10, and a negative value names the variable', () => {
    assert.equal(loadDemoChainConfig({}).statusEveryBlocks, 10);
    assert.throws(() => loadDemoChainConfig({ DEMO_STATUS_EVERY_BLOCKS: '-1' }), /DEMO_STATUS_EVERY_BLOCKS/);
  });
});
