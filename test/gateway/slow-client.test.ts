/**
 * Slow readers go to catch-up, not to the door: a socket over the soft limit leaves its live topic
 * at a block boundary, is fed from the ring or the log as it drains and rejoins live — no gap, no
 * duplicate — and only one that stops draining for the stall limit is closed, with 4008 and the
 * position to resume from.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { DemoLedger } from '@blockcast/demo-chain';
import { waitUntil } from '@blockcast/devkit';
import { type BlockEvent, CloseCode, type CommittedBlock, positionIn } from '@blockcast/protocol';
import { expectFrames, settledFrames } from '../support/barrier.js';
import { after, expectedValidTransactions } from '../support/expected-frames.js';
import { forEachLog, type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { assertSameFrames } from '../support/same-frames.js';
import { RecordingClient } from '../support/ws-client.js';

async function metric(gateway: GatewayHarness, name: string): Promise<number> {
  const text = await (await fetch(`${gateway.opsUrl}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith(`${name}{`) || row.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

/** True once the gateway has decided to close a stalled socket (its close frame may still be queued). */
function closedSlow(gateway: GatewayHarness): () => Promise<boolean> {
  return async () => (await metric(gateway, 'blockcast_gateway_slow_clients_closed_total')) >= 1;
}

/** Commits blocks of 50 transactions until `done` holds (bounded in count), yielding now and then. */
async function commitUntil(gateway: GatewayHarness, ledger: DemoLedger, done: () => Promise<boolean>) {
  const blocks: CommittedBlock[] = [];
  while (!(await done()) && blocks.length < 3000) {
    const block = ledger.nextBlock(50);
    await gateway.commit(block);
    blocks.push(block);
    if (blocks.length % 25 === 0) await delay(20);
  }
  return blocks;
}

forEachLog('slow clients', (log) => {
  test('a reader that pauses past the soft limit and the idle timeout is caught up when it reads again, never closed', async (t) => {
    const gateway = await startGateway(t, {
      log,
      config: { slowClientBytes: 64 * 1024, idleTimeoutSeconds: 1, stallTimeoutSeconds: 60, ringBlocks: 50 },
    });
    const url = gateway.stream('valid_transactions');
    const paused = await RecordingClient.connect(url);
    const healthy = await RecordingClient.connect(url);
    paused.pause();
    const ledger = new DemoLedger();
    const blocks = await commitUntil(
      gateway,
      ledger,
      async () => (await metric(gateway, 'blockcast_gateway_catch_up_sockets_entered_total')) >= 1,
    );
    // Paused well past the idle timeout (1 s) while blocks keep coming: still not closed.
    for (let i = 0; i < 10; i += 1) {
      const block = ledger.nextBlock(50);
      await gateway.commit(block);
      blocks.push(block);
      await delay(300);
    }
    assert.equal(gateway.app.connections, 2, 'the paused reader is still connected');
    paused.resume();
    const want = expectedValidTransactions(blocks, 'bigchaindb');
    await expectFrames(paused, want, 'every frame, in order, once');
    await expectFrames(healthy, want);
    await waitUntil(
      async () => (await metric(gateway, 'blockcast_gateway_catch_up_exits_total')) >= 1,
      5000,
      'rejoined live',
    );
    assert.equal(await metric(gateway, 'blockcast_gateway_slow_clients_closed_total'), 0);
    // Back on the live path, it gets new blocks like everyone else.
    const more = ledger.nextBlock(3);
    await gateway.commit(more);
    await expectFrames(paused, [...want, ...expectedValidTransactions([more], 'bigchaindb')]);
    await Promise.all([paused.close(), healthy.close()]);
  });

  test('a reader stalled past the stall limit is closed with 4008 after whole blocks; resuming with since gets the rest', async (t) => {
    const gateway = await startGateway(t, {
      log,
      config: { slowClientBytes: 64 * 1024, stallTimeoutSeconds: 2 },
    });
    const url = gateway.stream('valid_transactions');
    const stalled = await RecordingClient.connect(url);
    const healthy = await RecordingClient.connect(url);
    stalled.pause();
    const ledger = new DemoLedger();
    const started = Date.now();
    const blocks = await commitUntil(gateway, ledger, closedSlow(gateway));
    assert.ok(Date.now() - started >= 2000, 'not before the stall limit');
    stalled.resume();
    const closed = await stalled.closed;
    assert.equal(closed.code, CloseCode.TOO_SLOW);
    const position = positionIn(closed.reason);
    assert.ok(position, `the reason names the position: ${closed.reason}`);
    assert.equal(position.epoch, gateway.app.epoch);
    // It has every frame of every block up to the position, nothing cut, nothing after.
    const upTo = blocks.filter((block) => block.height <= position.since);
    assertSameFrames(stalled.frames, expectedValidTransactions(upTo, 'bigchaindb'), 'stalled');
    const resumed = await RecordingClient.connect(`${url}?since=${position.since}&epoch=${position.epoch}`);
    await expectFrames(resumed, expectedValidTransactions(after(blocks, position.since), 'bigchaindb'));
    await expectFrames(healthy, expectedValidTransactions(blocks, 'bigchaindb'));
    assert.equal(await metric(gateway, 'blockcast_gateway_slow_clients_closed_total'), 1);
    await Promise.all([resumed.close(), healthy.close()]);
  });

  test('a stalled reader that reads again seconds after it was closed still gets every frame up to its position, then 4008', async (t) => {
    const gateway = await startGateway(t, {
      log,
      config: { slowClientBytes: 64 * 1024, stallTimeoutSeconds: 12 },
    });
    const stalled = await RecordingClient.connect(gateway.stream('valid_transactions'));
    stalled.pause();
    const blocks = await commitUntil(gateway, new DemoLedger(), closedSlow(gateway));
    // uWS cuts an ended socket at its next 4-second tick: this reader comes back after that, and
    // well within the 12 s the gateway then gives a queue that does not go down.
    await delay(4500);
    stalled.resume();
    const closed = await stalled.closed;
    assert.equal(closed.code, CloseCode.TOO_SLOW, `closed with ${closed.code} ${closed.reason}`);
    const position = positionIn(closed.reason);
    assert.ok(position, `the reason names the position: ${closed.reason}`);
    const upTo = blocks.filter((block) => block.height <= position.since);
    assertSameFrames(stalled.frames, expectedValidTransactions(upTo, 'bigchaindb'), 'stalled');
    assert.equal(gateway.app.connections, 0);
  });

  test('one very large block (45 000 transactions, a 7 MB events frame) closes no healthy client', async (t) => {
    const gateway = await startGateway(t, { log });
    const url = gateway.stream('events?types=1');
    const clients = await Promise.all([RecordingClient.connect(url), RecordingClient.connect(url)]);
    const hex = (i: number) => i.toString(16).padStart(64, '0');
    const huge: BlockEvent = {
      height: 1,
      hash: 'AB'.repeat(32),
      chainId: null,
      transactions: Array.from({ length: 45_000 }, (_, i) => ({
        id: hex(i),
        operation: 'CREATE',
        assetIds: [hex(i)],
        publicKeys: ['3u6SJvYCg4Zr4e3DwS2RNpBNtJjVGhjxaX4JvUHGZv1w'],
      })),
      rejected: [],
      digest: 'huge',
      ingestedAt: Date.now(),
    };
    await gateway.log.append(huge);
    await gateway.log.append({
      ...huge,
      height: 2,
      transactions: huge.transactions.slice(0, 1),
      digest: 'small',
    });
    await waitUntil(() => gateway.app.height === 2, 20_000, 'both blocks published');
    for (const client of clients) {
      const frames = await settledFrames(client, 2);
      assert.deepEqual(
        frames.map((frame) => JSON.parse(frame)).map((event) => [event.height, event.transactions.length]),
        [
          [1, 45_000],
          [2, 1],
        ],
      );
      assert.ok(frames[0]!.length > 7_000_000, `the events frame is ${frames[0]!.length} bytes`);
    }
    assert.equal(gateway.app.connections, 2);
    await Promise.all(clients.map((client) => client.close()));
  });
});
