/**
 * Generic events on the `events` stream: sent live the moment they are on the bus, in its one
 * order between the blocks, only to subscriptions whose mask selects their type; resumed from
 * `since=H-S` with no gap and no duplicate across ring, event log and live; kept by catch-up.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { waitUntil } from '@blockcast/devkit';
import { type EventLog, MemoryLog } from '@blockcast/event-log';
import { CloseCode, EventType, positionIn } from '@blockcast/protocol';
import { expectFrames } from '../support/barrier.js';
import { Bus } from '../support/bus.js';
import {
  after,
  type BusItem,
  busAfter,
  busBlocks,
  busPosition,
  expectedBusEvents,
  expectedEvents,
  expectedValidBlocks,
  expectedValidTransactions,
} from '../support/expected-frames.js';
import { forEachLog, type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { laggingLog, slowHistoryReads } from '../support/log-wrappers.js';
import { RecordingClient, refusedUpgrade } from '../support/ws-client.js';

const ALL = -1;

async function metric(gateway: GatewayHarness, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${gateway.opsUrl}/metrics`)).text();
  const line = text.split('\n').find((row) => pattern.test(row));
  // A metric that is not there is no number: an assertion on it fails.
  return line === undefined ? Number.NaN : Number(line.split(' ').at(-1));
}

forEachLog('generic events', (log) => {
  test('sent live at once, between the blocks in bus order, only to the masks that select them; block-only streams never see them', async (t) => {
    const gateway = await startGateway(t, { log });
    const paths = {
      all: 'events',
      status: 'events?types=NODE_STATUS',
      message: 'events?types=8',
      blocks: 'events?types=BLOCK_VALID|BLOCK_INVALID',
      filtered: 'events?operation=CREATE',
      validBlocks: 'valid_blocks',
      validTransactions: 'valid_transactions',
    };
    const clients = Object.fromEntries(
      await Promise.all(
        Object.entries(paths).map(async ([name, path]) => [
          name,
          await RecordingClient.connect(gateway.stream(path)),
        ]),
      ),
    ) as Record<keyof typeof paths, RecordingClient>;
    const bus = new Bus(gateway);
    await bus.emit('NODE_STATUS');
    await bus.block(2);
    await bus.emit('NODE_STATUS');
    await bus.emit('APP_MESSAGE');
    await bus.block(0);
    await bus.block(3);
    await bus.emit('APP_MESSAGE');
    // The last ones have no block after them: they must arrive without one.
    await bus.emit('NODE_STATUS');
    const { items, blocks } = bus;
    await expectFrames(clients.all, expectedBusEvents(items, ALL), 'all types');
    await expectFrames(clients.status, expectedBusEvents(items, EventType.NODE_STATUS), 'NODE_STATUS');
    await expectFrames(clients.message, expectedBusEvents(items, EventType.APP_MESSAGE), 'APP_MESSAGE');
    await expectFrames(clients.blocks, expectedEvents(blocks, 3), 'block types only');
    await expectFrames(clients.filtered, expectedEvents(blocks, ALL, { operations: ['CREATE'] }), 'filtered');
    await expectFrames(clients.validBlocks, expectedValidBlocks(blocks));
    await expectFrames(clients.validTransactions, expectedValidTransactions(blocks, 'bigchaindb'));
    assert.equal(await metric(gateway, /^blockcast_gateway_generic_events_total\{type="NODE_STATUS"/), 3);
    assert.equal(await metric(gateway, /^blockcast_gateway_generic_events_total\{type="APP_MESSAGE"/), 2);
    // Generic events keep the height of the block before them: no gap was seen.
    assert.equal(await metric(gateway, /^blockcast_gateway_gaps_total[{ ]/), 0);
    await Promise.all(Object.values(clients).map((client) => client.close()));
  });

  test('a close reason names the last event sent (H-S), block-only ones the height; resuming from it on another gateway gives exactly the rest', async (t) => {
    const first = await startGateway(t, { log });
    const bus = new Bus(first);
    const streams = [
      'events',
      'events?types=NODE_STATUS',
      'events?types=BLOCK_VALID',
      'valid_blocks',
    ] as const;
    const clients = await Promise.all(streams.map((path) => RecordingClient.connect(first.stream(path))));
    await bus.block(1);
    await bus.block(2);
    await bus.emit('NODE_STATUS');
    await bus.emit('APP_MESSAGE');
    const expected = (path: (typeof streams)[number], items: BusItem[]) =>
      path === 'valid_blocks'
        ? expectedValidBlocks(busBlocks(items))
        : expectedBusEvents(items, path === 'events' ? ALL : path.endsWith('NODE_STATUS') ? 4 : 1);
    for (const [i, path] of streams.entries())
      await expectFrames(clients[i]!, expected(path, bus.items), path);
    const second = await startGateway(t, { log, eventLog: first.log });
    await first.app.close();
    const reasons = await Promise.all(clients.map(async (client) => (await client.closed).reason));
    for (const client of clients) assert.equal((await client.closed).code, CloseCode.DRAINING);
    assert.deepEqual(
      reasons.map((reason) => reason.replace(/; epoch=.*/, '')),
      ['draining; since=2-2', 'draining; since=2-2', 'draining; since=2', 'draining; since=2'],
    );
    await bus.emit('NODE_STATUS');
    await bus.block(1);
    await bus.emit('APP_MESSAGE');
    for (const [i, path] of streams.entries()) {
      const position = positionIn(reasons[i] ?? '')!;
      const since = position.seq === undefined ? `${position.since}` : `${position.since}-${position.seq}`;
      const query = `${path.includes('?') ? '&' : '?'}since=${since}&epoch=${position.epoch}`;
      const resumed = await RecordingClient.connect(second.stream(`${path}${query}`));
      await expectFrames(resumed, expected(path, busAfter(bus.items, since)), `${path} since=${since}`);
      await resumed.close();
    }
  });

  test('the seam: clients resuming at random positions under steady blocks and events each get exactly the bus after since', async (t) => {
    const gateway = await startGateway(t, { log, config: { ringBlocks: 15, historyBatchEntries: 10 } });
    const bus = new Bus(gateway);
    let producing = true;
    const producer = (async () => {
      while (producing && bus.blocks.length < 300) {
        await bus.block(bus.blocks.length % 3);
        for (let i = Math.floor(Math.random() * 3); i > 0; i -= 1) {
          await bus.emit(Math.random() < 0.5 ? 'NODE_STATUS' : 'APP_MESSAGE');
        }
        await delay(3);
      }
    })();
    await waitUntil(() => bus.blocks.length >= 40, 10_000, '40 blocks');
    const kinds = ['events', 'events?types=NODE_STATUS', 'events?types=BLOCK_VALID', 'valid_blocks'] as const;
    const clients: { since: string; path: (typeof kinds)[number]; client: RecordingClient }[] = [];
    for (let i = 0; i < 32; i += 1) {
      const items = bus.items;
      // Some at the head, some inside the ring, some older (the log), some anywhere.
      const at = [
        items.length - 1,
        items.length - 6,
        items.length - 120,
        Math.floor(Math.random() * items.length),
      ][i % 4]!;
      const item = items[Math.max(0, at)]!;
      const path = kinds[Math.floor(i / 4) % kinds.length]!;
      const since = path === 'valid_blocks' ? busPosition(item).split('-')[0]! : busPosition(item);
      const query = `${path.includes('?') ? '&' : '?'}since=${since}`;
      clients.push({ since, path, client: await RecordingClient.connect(gateway.resume(`${path}${query}`)) });
      await delay(15);
    }
    producing = false;
    await producer;
    await bus.published();
    for (const { since, path, client } of clients) {
      const rest = busAfter(bus.items, since);
      const want =
        path === 'valid_blocks'
          ? expectedValidBlocks(after(bus.blocks, Number(since)))
          : expectedBusEvents(rest, path === 'events' ? ALL : path.endsWith('NODE_STATUS') ? 4 : 1);
      await expectFrames(client, want, `${path} since=${since}`);
      await client.close();
    }
    // Both seams were crossed: entries came from the log and from the ring.
    assert.ok((await metric(gateway, /^blockcast_gateway_catch_up_entries_sent_total\{source="log"/)) > 0);
    assert.ok((await metric(gateway, /^blockcast_gateway_catch_up_entries_sent_total\{source="ring"/)) > 0);
  });

  test('a slow reader in catch-up gets the generic events too, in order, once', async (t) => {
    const gateway = await startGateway(t, {
      log,
      config: { slowClientBytes: 64 * 1024, stallTimeoutSeconds: 60, ringBlocks: 20 },
    });
    const url = gateway.stream('events');
    const paused = await RecordingClient.connect(url);
    const healthy = await RecordingClient.connect(url);
    paused.pause();
    const bus = new Bus(gateway);
    const entered = /^blockcast_gateway_catch_up_sockets_entered_total/;
    while ((await metric(gateway, entered)) < 1 && bus.blocks.length < 3000) {
      await bus.block(50);
      await bus.emit(bus.blocks.length % 2 === 0 ? 'NODE_STATUS' : 'APP_MESSAGE');
      if (bus.blocks.length % 25 === 0) await delay(20);
    }
    assert.ok((await metric(gateway, entered)) >= 1, 'the paused reader went to catch-up');
    // More while it is off the live path, ring and log both needed to bring it back.
    for (let i = 0; i < 40; i += 1) {
      await bus.block(50);
      await bus.emit('APP_MESSAGE');
    }
    paused.resume();
    const want = expectedBusEvents(bus.items, ALL);
    await expectFrames(paused, want, 'every frame, in order, once');
    await expectFrames(healthy, want);
    await waitUntil(
      async () => (await metric(gateway, /^blockcast_gateway_catch_up_exits_total/)) >= 1,
      5000,
      'live',
    );
    await bus.emit('NODE_STATUS');
    await expectFrames(paused, expectedBusEvents(bus.items, ALL), 'live again');
    await Promise.all([paused.close(), healthy.close()]);
  });

  test('a catching-up events client whose next entry leaves the retained history is closed with 4010 at its event position', async (t) => {
    // Reads of older history take a while here, and the chain moves on meanwhile.
    const slowReads = (inner: EventLog) => slowHistoryReads(inner, 300);
    const gateway = await startGateway(t, {
      log,
      retainBlocks: 10,
      wrapLog: slowReads,
      config: { ringBlocks: 2 },
    });
    const bus = new Bus(gateway);
    for (let i = 0; i < 30; i += 1) {
      await bus.block(1);
      await bus.emit('NODE_STATUS');
    }
    await bus.published();
    const client = await RecordingClient.connect(gateway.resume('events?since=21-1'));
    for (let i = 0; i < 20; i += 1) await bus.block(1);
    await bus.published();
    const closed = await client.closed;
    assert.equal(closed.code, CloseCode.HISTORY_GONE);
    assert.match(closed.reason, /oldest=41/);
    assert.deepEqual(positionIn(closed.reason), { since: 21, seq: 1, epoch: gateway.app.epoch });
    assert.deepEqual(client.frames, [], 'nothing after the position was sent');
  });

  test('resume checks judge positions: an event beyond the head is 400, one of a trimmed block 410', async (t) => {
    // A ring of two blocks: the older positions are judged against the log.
    const gateway = await startGateway(t, { log, retainBlocks: 10, config: { ringBlocks: 2 } });
    const bus = new Bus(gateway);
    for (let i = 0; i < 12; i += 1) {
      await bus.block(1);
      await bus.emit('NODE_STATUS');
    }
    await bus.published();
    const ahead = await refusedUpgrade(gateway.resume('events?since=12-2'));
    assert.deepEqual([ahead.status, ahead.body.code, ahead.body.head], [400, 'SINCE_AHEAD', 12]);
    const gone = await refusedUpgrade(gateway.resume('events?since=2-1'));
    assert.deepEqual([gone.status, gone.body.code, gone.body.oldest], [410, 'HISTORY_GONE', 3]);
    const atHead = await RecordingClient.connect(gateway.resume('events?since=12-1'));
    const inside = await RecordingClient.connect(gateway.resume('events?types=NODE_STATUS&since=3-1'));
    await bus.emit('NODE_STATUS');
    await expectFrames(atHead, expectedBusEvents(busAfter(bus.items, '12-1'), ALL));
    await expectFrames(inside, expectedBusEvents(busAfter(bus.items, '3-1'), EventType.NODE_STATUS));
    await Promise.all([atHead.close(), inside.close()]);
  });
});

test('a client resuming from an event this gateway has not published yet is not refused: it waits, then gets what follows', async (t) => {
  const inner = new MemoryLog();
  t.after(() => inner.close());
  const gateway = await startGateway(t, { eventLog: laggingLog(inner, 300) });
  const bus = new Bus(gateway);
  await bus.block(1);
  await bus.published();
  await bus.emit('NODE_STATUS');
  // Event 1-1 is on the log (another gateway may have sent it) but not published here yet.
  assert.ok(Number.isNaN(await metric(gateway, /^blockcast_gateway_generic_events_total/)));
  const client = await RecordingClient.connect(gateway.resume('events?since=1-1'));
  const ahead = await refusedUpgrade(gateway.resume('events?since=1-2'));
  assert.deepEqual([ahead.status, ahead.body.code], [400, 'SINCE_AHEAD']);
  await bus.emit('APP_MESSAGE');
  await bus.block(0);
  await bus.published();
  await expectFrames(client, expectedBusEvents(busAfter(bus.items, '1-1'), ALL));
  await client.close();
});
