/**
 * A stream recreated or rolled back under the gateway is noticed and told to every client (4011
 * with the new epoch and head), and streaming goes on in the new history — never a silent gap, a
 * repeat, or a gateway that stays "ready" while streaming nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DemoLedger } from '@blockcast/demo-chain';
import { waitUntil } from '@blockcast/devkit';
import { CloseCode } from '@blockcast/protocol';
import { expectedValidBlocks } from '../support/expected-frames.js';
import { redisSkip, startGateway } from '../support/gateway-harness.js';
import { RecordingClient, refusedUpgrade } from '../support/ws-client.js';

const BLOCK_MS = 300;

async function metric(opsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith(`${name}{`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

// The memory log lives and dies with its process: only a Redis stream can be reset under a gateway.
describe('reset and rollback (redis log)', { skip: redisSkip }, () => {
  const log = 'redis';

  test('the stream deleted and a chain starting again at 1: clients get 4011 with the new epoch, then the new blocks flow', async (t) => {
    const gateway = await startGateway(t, { log, blockMs: BLOCK_MS });
    const ledger = new DemoLedger();
    await gateway.commit(...Array.from({ length: 20 }, () => ledger.nextBlock(1)));
    await waitUntil(() => gateway.app.height === 20, 5000, 'published');
    const oldEpoch = gateway.app.epoch;
    const clients = await Promise.all(
      [1, 2, 3].map(() => RecordingClient.connect(gateway.stream('valid_blocks'))),
    );

    await gateway.admin!.del(gateway.key);
    const restarted = new DemoLedger();
    const fresh = [restarted.nextBlock(1), restarted.nextBlock(2)];
    await gateway.commit(...fresh);
    const started = Date.now();
    for (const client of clients) {
      const closed = await client.closed;
      assert.equal(closed.code, CloseCode.RESET);
      const epoch = /epoch=([^;]+)/.exec(closed.reason)?.[1];
      assert.ok(epoch && epoch !== oldEpoch, `a new epoch in "${closed.reason}"`);
      assert.match(closed.reason, /head=\d+/);
    }
    assert.ok(Date.now() - started < BLOCK_MS + 3000, 'noticed within the bound');
    assert.notEqual(gateway.app.epoch, oldEpoch);
    assert.equal((await fetch(`${gateway.opsUrl}/readyz`)).status, 200, 'ready in the new history');
    assert.equal(await metric(gateway.opsUrl, 'blockcast_gateway_resets_total'), 1);

    const client = await RecordingClient.connect(
      gateway.stream(`valid_blocks?since=0&epoch=${gateway.app.epoch}`),
    );
    const next = restarted.nextBlock(1);
    await gateway.commit(next);
    await client.waitForFrames(3);
    assert.deepEqual(client.frames, expectedValidBlocks([...fresh, next]));
    await client.close();
  });

  test('a rollback (the newest blocks gone, same epoch) is a new history too: 4011, and the old epoch is refused', async (t) => {
    const gateway = await startGateway(t, { log, blockMs: BLOCK_MS });
    const ledger = new DemoLedger();
    await gateway.commit(...Array.from({ length: 30 }, () => ledger.nextBlock(0)));
    await waitUntil(() => gateway.app.height === 30, 5000, 'published');
    const oldEpoch = gateway.app.epoch;
    const client = await RecordingClient.connect(gateway.stream('valid_blocks'));
    // As if Redis came back from an older snapshot: the last ten blocks are not there any more.
    for (let height = 21; height <= 30; height += 1) await gateway.admin!.xdel(gateway.key, `${height}-0`);
    const closed = await client.closed;
    assert.equal(closed.code, CloseCode.RESET);
    assert.match(closed.reason, /head=20/);
    assert.notEqual(gateway.app.epoch, oldEpoch);
    const stale = await refusedUpgrade(gateway.stream(`valid_blocks?since=25&epoch=${oldEpoch}`));
    assert.deepEqual(
      [stale.status, stale.body.code, stale.body.epoch],
      [409, 'EPOCH_MISMATCH', gateway.app.epoch],
    );
  });
});
