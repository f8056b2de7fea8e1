/**
 * How a client always knows its epoch: every 101 answer names it (`X-Blockcast-Epoch`), `epoch`
 * alone pins a live connection to it, and `since` without `epoch` is refused — so a client cut
 * without a close frame never resumes into another history without being told.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DemoLedger } from '@blockcast/demo-chain';
import { waitUntil } from '@blockcast/devkit';
import { STREAM_CATALOG } from '@blockcast/protocol';
import { expectedValidBlocks } from '../support/expected-frames.js';
import { forEachLog, startGateway } from '../support/gateway-harness.js';
import { RecordingClient, refusedUpgrade } from '../support/ws-client.js';

forEachLog('the epoch contract', (log) => {
  test('since without epoch is refused 400 EPOCH_REQUIRED on every stream, naming where to read the epoch', async (t) => {
    const gateway = await startGateway(t, { log });
    const ledger = new DemoLedger();
    await gateway.commit(...Array.from({ length: 5 }, () => ledger.nextBlock(1)));
    await waitUntil(() => gateway.app.height === 5, 5000, 'published');
    for (const stream of STREAM_CATALOG) {
      const refused = await refusedUpgrade(gateway.stream(`${stream.name}?since=3`));
      assert.deepEqual([refused.status, refused.body.code], [400, 'EPOCH_REQUIRED'], stream.name);
      assert.equal(
        refused.body.epoch,
        undefined,
        'the refusal does not hand out the epoch to skip reading it',
      );
      assert.match(String(refused.body.message), /GET \/api\/v1\/streams/);
      assert.match(String(refused.body.message), /X-Blockcast-Epoch/);
    }
  });

  test('every 101 answer carries X-Blockcast-Epoch: live, pinned and resuming connections', async (t) => {
    const gateway = await startGateway(t, { log });
    const ledger = new DemoLedger();
    const blocks = Array.from({ length: 5 }, () => ledger.nextBlock(1));
    await gateway.commit(...blocks);
    await waitUntil(() => gateway.app.height === 5, 5000, 'published');
    const epoch = await gateway.log.epoch();
    assert.ok(epoch);
    assert.equal(gateway.app.epoch, epoch, 'a gateway that published a block knows its epoch');
    const live = await RecordingClient.connect(gateway.stream('valid_blocks'));
    const pinned = await RecordingClient.connect(gateway.stream(`valid_blocks?epoch=${epoch}`));
    const resumed = await RecordingClient.connect(gateway.stream(`valid_blocks?since=2&epoch=${epoch}`));
    for (const client of [live, pinned, resumed]) {
      assert.equal(client.upgradeHeaders['x-blockcast-epoch'], epoch);
    }
    await resumed.waitForFrames(3);
    assert.deepEqual(resumed.frames, expectedValidBlocks(blocks.slice(2)));
    await Promise.all([live.close(), pinned.close(), resumed.close()]);
  });

  test('epoch alone pins a live connection: the current epoch is live from now, another is 409 EPOCH_MISMATCH', async (t) => {
    const gateway = await startGateway(t, { log });
    const ledger = new DemoLedger();
    await gateway.commit(...Array.from({ length: 3 }, () => ledger.nextBlock(1)));
    await waitUntil(() => gateway.app.height === 3, 5000, 'published');
    const epoch = (await gateway.log.epoch())!;
    assert.equal(gateway.app.epoch, epoch, 'a gateway that published a block knows its epoch');
    const stale = await refusedUpgrade(gateway.stream('valid_blocks?epoch=someOtherEpoch'));
    assert.deepEqual(
      [stale.status, stale.body.code, stale.body.epoch, stale.body.head],
      [409, 'EPOCH_MISMATCH', epoch, 3],
    );
    const pinned = await RecordingClient.connect(gateway.stream(`valid_blocks?epoch=${epoch}`));
    const next = ledger.nextBlock(1);
    await gateway.commit(next);
    await pinned.waitForFrames(1);
    assert.deepEqual(pinned.frames, expectedValidBlocks([next]), 'live from now, nothing replayed');
    await pinned.close();
  });

  test('an empty stream has no epoch: since is SINCE_AHEAD, and a 101 names none', async (t) => {
    const gateway = await startGateway(t, { log });
    const refused = await refusedUpgrade(gateway.stream('valid_blocks?since=1'));
    assert.deepEqual([refused.status, refused.body.code], [400, 'SINCE_AHEAD']);
    const client = await RecordingClient.connect(gateway.stream('valid_blocks'));
    assert.equal(client.upgradeHeaders['x-blockcast-epoch'], undefined);
    await client.close();
  });
});
