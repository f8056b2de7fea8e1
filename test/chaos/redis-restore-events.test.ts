/**
 * Redis restored from a snapshot that lacks only the last generic events (the common loss of an
 * RDB or AOF `everysec` crash), then new events emitted at the lost positions. `events` clients
 * connected live, clients from the start of the log and clients resuming after the restore from a
 * gateway's memory and from the log, all following the documented rule: each run of each client
 * is exactly the history of its epoch, and every client ends with the whole new history after a
 * signal (4011 or 409) — never two histories under one epoch.
 */
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { waitUntil } from '@blockcast/devkit';
import { ALL_EVENT_TYPES, type CommittedBlock, type GenericEvent } from '@blockcast/protocol';
import { BlockSender } from '../support/block-sender.js';
import { ChaosTopology, chaosSkip } from '../support/chaos-topology.js';
import { sumChecks, verifyEntryDelivery } from '../support/delivery-verifier.js';
import { type BusItem, busAfter, expectedBusEvents } from '../support/expected-frames.js';
import { ResumingClient } from '../support/resuming-client.js';

/** Posts NODE_STATUS events to ingest, as an application's `emit` would. */
class Emitter {
  #running: Promise<void> | undefined;
  #stopped = false;
  #count = 0;

  constructor(
    readonly ingestUrl: string,
    readonly token: string,
  ) {}

  async emit(message: string): Promise<GenericEvent & { position: string }> {
    const response = await fetch(`${this.ingestUrl}/api/v1/events/NODE_STATUS`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ content: { node_id: 'chaos', status: 'up', message } }),
    });
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()) as GenericEvent & { position: string };
  }

  /** One event every `everyMs` until stop(). */
  start(everyMs: number): void {
    this.#stopped = false;
    this.#running = (async () => {
      while (!this.#stopped) {
        await this.emit(`steady ${++this.#count}`);
        await delay(everyMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }
}

/** The history the log holds now, as bus items: the blocks as sent, the events as stored. */
async function loggedHistory(
  topology: ChaosTopology,
  chain: ReadonlyMap<number, CommittedBlock>,
): Promise<BusItem[]> {
  const blocks = await topology.loggedBlocks();
  const events = await topology.loggedEvents();
  const items: BusItem[] = [
    ...blocks.map((entry) => ({ block: chain.get(entry.height)! })),
    ...events.map((event) => ({ event })),
  ];
  const at = (item: BusItem) =>
    'block' in item ? [item.block.height, 0] : [item.event.height, item.event.seq];
  return items.sort((a, b) => at(a)[0]! - at(b)[0]! || at(a)[1]! - at(b)[1]!);
}

test(
  'Redis restored without the last events, new ones at their positions: every events client keeps one history per epoch and ends with the new one',
  { ...chaosSkip(), timeout: 120_000 },
  async (t) => {
    // A short ring, so resuming from before the last few blocks reads the log.
    const topology = await ChaosTopology.start({ gateways: 2, gatewayEnv: { GATEWAY_RING_BLOCKS: '5' } });
    const sender = new BlockSender({ ingestUrl: topology.ingestUrl, token: topology.token, rate: 10 });
    const emitter = new Emitter(topology.ingestUrl, topology.token);
    const clients: ResumingClient[] = [];
    t.after(async () => {
      await emitter.stop().catch(() => undefined);
      await sender.stop().catch(() => undefined);
      await Promise.all(clients.map((client) => client.stop()));
      await topology.stop();
    });
    const connect = async (count: number, since: (i: number) => number, epoch: string) => {
      const joined = Array.from(
        { length: count },
        (_, i) =>
          new ResumingClient({
            gateways: topology.gatewayUrls,
            first: i,
            stream: 'events',
            since: since(i),
            epoch,
          }),
      );
      clients.push(...joined);
      await Promise.all(joined.map((client) => client.start()));
      return joined;
    };
    const finalFrame = async () =>
      expectedBusEvents(await loggedHistory(topology, sender.chain), ALL_EVENT_TYPES).at(-1);
    const allHold = async (what: string) => {
      const last = await finalFrame();
      const done = () => clients.filter((client) => client.current.frames.at(-1) === last).length;
      await waitUntil(
        () => done() === clients.length,
        30_000,
        `${what} (${done()} of ${clients.length})`,
        50,
      );
    };

    sender.start();
    await waitUntil(() => sender.acknowledged >= 1, 20_000, 'the first block');
    const oldEpoch = (await topology.epoch())!;
    // The documented rule: the epoch read before connecting; from the start, and live from the head.
    await connect(20, () => 0, oldEpoch);
    await connect(20, () => sender.acknowledged, oldEpoch);
    emitter.start(150);
    await waitUntil(() => sender.acknowledged >= 30, 30_000, '30 blocks with events between them');
    await emitter.stop();
    const height = await sender.stop();
    await allHold('every client at the head');

    const admin = topology.admin();
    await admin.save();
    admin.disconnect();
    const snapshot = join(topology.redisDir, 'snapshot.rdb');
    copyFileSync(join(topology.redisDir, 'dump.rdb'), snapshot);
    for (const message of ['lost 1', 'lost 2', 'lost 3']) await emitter.emit(message);
    await allHold('every client holds the events the restore will lose');
    const oldHistory = await loggedHistory(topology, sender.chain);

    await topology.killRedis();
    copyFileSync(snapshot, join(topology.redisDir, 'dump.rdb'));
    await topology.startRedis();
    // Resuming in the old epoch after the restore: from a gateway's memory, and from the log.
    await connect(10, () => height, oldEpoch);
    await connect(10, () => height - 20, oldEpoch);
    const rewritten = [];
    for (const message of ['new 1', 'new 2', 'new 3', 'new 4']) rewritten.push(await emitter.emit(message));
    assert.deepEqual(
      rewritten.map((event) => event.position),
      [1, 2, 3, 4].map((seq) => `${height}-${seq}`),
      'the new events took the lost positions',
    );
    const newEpoch = (await topology.epoch())!;
    assert.notEqual(newEpoch, oldEpoch, 'the log started a new epoch');

    sender.start();
    emitter.start(150);
    const told = () => clients.filter((client) => client.current.epoch === newEpoch).length;
    await waitUntil(
      () => told() === clients.length,
      30_000,
      `every client told (${told()} of ${clients.length})`,
      50,
    );
    const target = sender.acknowledged + 20;
    await waitUntil(() => sender.acknowledged >= target, 30_000, '20 more blocks');
    await emitter.stop();
    await sender.stop();
    await allHold('every client complete in the new history');

    const newHistory = await loggedHistory(topology, sender.chain);
    const historyOf = (epoch: string | undefined) => (epoch === oldEpoch ? oldHistory : newHistory);
    const check = sumChecks(
      clients.map((client) =>
        verifyEntryDelivery(client.segments, (segment) =>
          expectedBusEvents(
            busAfter(historyOf(segment.epoch), `${segment.since}-${segment.sinceSeq ?? 0}`),
            ALL_EVENT_TYPES,
          ),
        ),
      ),
    );
    const signals: Record<string, number> = {};
    for (const client of clients)
      for (const segment of client.segments.slice(1))
        signals[segment.startedBy] = (signals[segment.startedBy] ?? 0) + 1;
    t.diagnostic(
      `chaos-figures ${JSON.stringify({ scenario: 'Redis restored without the last events', clients: clients.length, height, signals, checked: check.checked, lost: check.lost, duplicated: check.duplicated, reordered: check.reordered, changed: check.changed })}`,
    );
    assert.deepEqual(
      { lost: check.lost, duplicated: check.duplicated, reordered: check.reordered, changed: check.changed },
      { lost: 0, duplicated: 0, reordered: 0, changed: 0 },
      check.problems.join('\n'),
    );
    assert.equal(check.problems.length, 0, check.problems.join('\n'));
    for (const client of clients) {
      assert.deepEqual(
        client.segments.map((segment) => segment.epoch),
        [oldEpoch, newEpoch],
        'one run in the old history, one in the new, started by a signal',
      );
      assert.ok(['4011', 'EPOCH_MISMATCH'].includes(client.current.startedBy), client.current.startedBy);
    }
  },
);
