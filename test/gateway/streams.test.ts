import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DemoLedger } from '@blockcast/demo-chain';
import { waitUntil } from '@blockcast/devkit';
import type { CommittedBlock } from '@blockcast/protocol';
import { expectFrames } from '../support/barrier.js';
import {
  expectedEvents,
  expectedInvalidTransactions,
  expectedLegacyValidTx,
  expectedValidBlocks,
  expectedValidTransactions,
} from '../support/expected-frames.js';
import { forEachLog, startGateway } from '../support/gateway-harness.js';
import { RecordingClient } from '../support/ws-client.js';

/** Blocks of 0–8 demo transactions, some empty, some with rejected transactions. */
function makeBlocks(ledger: DemoLedger, count: number): CommittedBlock[] {
  return Array.from({ length: count }, (_, i) => {
    const block = ledger.nextBlock(i % 4 === 0 ? 0 : 1 + (i % 8));
    if (i % 3 === 1) {
      const victim = new DemoLedger().nextBlock(1).transactions[0]!;
      block.rejected = [{ transaction: victim, code: 2 + (i % 5), log: `rejected "${i}": input spent` }];
    }
    return block;
  });
}

/**
 * A block with one valid and one rejected transaction, committed last: every stream gets a frame
 * from it, so once those arrive nothing committed earlier can still be on its way.
 */
function barrierBlock(ledger: DemoLedger): CommittedBlock {
  const block = ledger.nextBlock(1);
  block.rejected = [{ transaction: new DemoLedger().nextBlock(1).transactions[0]!, code: 9, log: 'barrier' }];
  return block;
}

forEachLog('streams deliver every committed block in order', (log) => {
  test('every stream gets exactly the frames of the original servers, in height and block order', async (t) => {
    const gateway = await startGateway(t, { log });
    const path = `${gateway.url}/api/v1/streams`;
    const clients = {
      bigchaindb: await RecordingClient.connect(`${path}/valid_transactions`),
      planetmint: await RecordingClient.connect(`${path}/valid_transactions?profile=planetmint`),
      blocks: await RecordingClient.connect(`${path}/valid_blocks`),
      legacy: await RecordingClient.connect(`${path}/valid_tx`),
      invalid: await RecordingClient.connect(`${path}/invalid_transactions`),
    };
    const ledger = new DemoLedger();
    const blocks = [...makeBlocks(ledger, 40), barrierBlock(ledger)];
    await gateway.commit(...blocks);

    const expected = {
      bigchaindb: expectedValidTransactions(blocks, 'bigchaindb'),
      planetmint: expectedValidTransactions(blocks, 'planetmint'),
      blocks: expectedValidBlocks(blocks),
      legacy: expectedLegacyValidTx(blocks),
      invalid: expectedInvalidTransactions(blocks),
    };
    for (const [name, client] of Object.entries(clients)) {
      const want = expected[name as keyof typeof expected];
      assert.ok(want.length > 0, `${name} has frames to check`);
      // The last block is a barrier: once its frames are in, an extra or repeated frame from
      // before it would already show as a difference.
      await client.waitForFrames(want.length);
      assert.deepEqual(client.frames, want, `${name} frames`);
      await client.close();
    }
  });

  test('a Planetmint 3.0 chain gets asset_ids lists on the planetmint profile', async (t) => {
    const gateway = await startGateway(t, { log });
    const client = await RecordingClient.connect(
      `${gateway.url}/api/v1/streams/valid_transactions?profile=planetmint`,
    );
    const ledger = new DemoLedger({ version: '3.0', firstHeight: (gateway.app.height ?? 0) + 1 });
    const blocks = [ledger.nextBlock(3), ledger.nextBlock(5), ledger.nextBlock(1)];
    await gateway.commit(...blocks);
    await client.waitForFrames(9);
    assert.deepEqual(client.frames, expectedValidTransactions(blocks, 'planetmint'));
    await client.close();
  });

  test('events?types selects event types by mask', async (t) => {
    const gateway = await startGateway(t, { log });
    const path = `${gateway.url}/api/v1/streams/events`;
    const invalidOnly = await RecordingClient.connect(`${path}?types=BLOCK_INVALID`);
    const all = await RecordingClient.connect(`${path}?types=-1`);
    const first = (gateway.app.height ?? 0) + 1;
    const ledger = new DemoLedger({ firstHeight: first });
    const clean = ledger.nextBlock(2);
    const withRejection = ledger.nextBlock(1);
    withRejection.rejected = [
      { transaction: new DemoLedger().nextBlock(1).transactions[0]!, code: 1, log: 'bad' },
    ];
    await gateway.commit(clean, withRejection);

    await all.waitForFrames(3);
    assert.deepEqual(
      all.frames.map((frame) => JSON.parse(frame)).map(({ type, height }) => [type, height]),
      [
        ['BLOCK_VALID', first],
        ['BLOCK_VALID', first + 1],
        ['BLOCK_INVALID', first + 1],
      ],
    );
    const barrier = barrierBlock(ledger);
    await gateway.commit(barrier);
    await invalidOnly.waitForFrames(2);
    assert.deepEqual(
      invalidOnly.frames.map((frame) => JSON.parse(frame)).map(({ type, height }) => [type, height]),
      [
        ['BLOCK_INVALID', first + 1],
        ['BLOCK_INVALID', barrier.height],
      ],
    );
    await Promise.all([all.close(), invalidOnly.close()]);
  });

  test('events frames byte for byte, for every mask and name list, against the raw transactions', async (t) => {
    const gateway = await startGateway(t, { log });
    const path = (types: string) => gateway.stream(`events?types=${encodeURIComponent(types)}`);
    const clients = {
      1: [await RecordingClient.connect(path('1')), await RecordingClient.connect(path('BLOCK_VALID'))],
      2: [await RecordingClient.connect(path('2')), await RecordingClient.connect(path('BLOCK_INVALID'))],
      3: [
        await RecordingClient.connect(path('3')),
        await RecordingClient.connect(path('-1')),
        await RecordingClient.connect(path('BLOCK_VALID|BLOCK_INVALID')),
        await RecordingClient.connect(gateway.stream('events')),
      ],
    };
    const ledger = new DemoLedger();
    const blocks = [...makeBlocks(ledger, 20), barrierBlock(ledger)];
    await gateway.commit(...blocks);
    for (const [mask, group] of Object.entries(clients)) {
      for (const client of group) {
        await expectFrames(client, expectedEvents(blocks, Number(mask)), `types mask ${mask}`);
        await client.close();
      }
    }
  });

  test('?profile= overrides the deployment profile in both directions', async (t) => {
    const bigchaindb = await startGateway(t, { log, config: { profile: 'bigchaindb' } });
    const planetmint = await startGateway(t, { log, config: { profile: 'planetmint' } });
    const clients = [
      [bigchaindb, 'valid_transactions', 'bigchaindb'],
      [bigchaindb, 'valid_transactions?profile=planetmint', 'planetmint'],
      [planetmint, 'valid_transactions', 'planetmint'],
      [planetmint, 'valid_transactions?profile=bigchaindb', 'bigchaindb'],
    ] as const;
    const connected = await Promise.all(
      clients.map(async ([gateway, path, profile]) => ({
        gateway,
        profile,
        client: await RecordingClient.connect(gateway.stream(path)),
      })),
    );
    const blocks = [new DemoLedger({ version: '3.0' }).nextBlock(3)];
    await bigchaindb.commit(...blocks);
    await planetmint.commit(...blocks);
    for (const { client, profile } of connected) {
      await expectFrames(client, expectedValidTransactions(blocks, profile), profile);
      await client.close();
    }
  });

  test('a block without a hash: valid_blocks says null and valid_tx names the height as blockid', async (t) => {
    const gateway = await startGateway(t, { log });
    const blocks = gateway.stream('valid_blocks');
    const legacy = gateway.stream('valid_tx');
    const [blockClient, legacyClient] = [
      await RecordingClient.connect(blocks),
      await RecordingClient.connect(legacy),
    ];
    const block = { ...new DemoLedger().nextBlock(2), hash: null };
    await gateway.commit(block);
    await expectFrames(blockClient, expectedValidBlocks([block]));
    await expectFrames(legacyClient, expectedLegacyValidTx([block]));
    assert.match(legacyClient.frames[0]!, /"blockid": "1"/);
    assert.match(blockClient.frames[0]!, /"hash": null/);
    await Promise.all([blockClient.close(), legacyClient.close()]);
  });

  test('a client connected later gets the blocks after it connected, not before', async (t) => {
    const gateway = await startGateway(t, { log });
    const ledger = new DemoLedger({ firstHeight: (gateway.app.height ?? 0) + 1 });
    const before = ledger.nextBlock(2);
    await gateway.commit(before);
    await waitUntil(() => gateway.app.height === before.height);
    const client = await RecordingClient.connect(`${gateway.url}/api/v1/streams/valid_blocks`);
    const later = [ledger.nextBlock(1), barrierBlock(ledger)];
    await gateway.commit(...later);
    await client.waitForFrames(2);
    assert.deepEqual(client.frames, expectedValidBlocks(later));
    await client.close();
  });
});
