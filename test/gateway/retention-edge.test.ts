/**
 * The retention edge: a catching-up socket is handed only the entry that provably follows its
 * position — from the ring, or from a log read that holds everything after it — and otherwise is
 * closed with 4010 naming its position and the oldest block; a resume is judged by the same rule
 * at upgrade (410). Block-only streams need blocks only, so a trimmed generic event never ends
 * them; `events` never starts partway through a height's events. On a real Redis, real sockets.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitUntil } from '@blockcast/devkit';
import type { EventLog } from '@blockcast/event-log';
import { CloseCode, formatPosition, type Position, positionIn } from '@blockcast/protocol';
import { expectFrames } from '../support/barrier.js';
import { Bus } from '../support/bus.js';
import {
  type BusItem,
  busAfter,
  busBlocks,
  busPosition,
  expectedBusEvents,
  expectedValidBlocks,
} from '../support/expected-frames.js';
import { redisSkip, startGateway } from '../support/gateway-harness.js';
import { laggingLog, slowHistoryReads } from '../support/log-wrappers.js';
import { type ClosedWith, RecordingClient, refusedUpgrade } from '../support/ws-client.js';

const ALL = -1;
/** `types` bits of BLOCK_VALID: an `events` subscription that receives no generic events. */
const BLOCKS_ONLY = 1;
/** Content of a large generic event: a paused reader's queue fills after a few of them. */
const LARGE = 60_000;

type Path = 'events' | 'valid_blocks' | 'events?types=BLOCK_VALID';

function framesOf(path: Path, items: readonly BusItem[]): string[] {
  if (path === 'valid_blocks') return expectedValidBlocks(busBlocks(items));
  return expectedBusEvents(items, path === 'events' ? ALL : BLOCKS_ONLY);
}

/** The items after `since` up to and including `upTo`. */
function between(items: readonly BusItem[], since: string, upTo: Position): BusItem[] {
  return busAfter(items, since).filter((item) => {
    const [height, seq] = 'block' in item ? [item.block.height, 0] : [item.event.height, item.event.seq];
    return height < upTo.height || (height === upTo.height && seq <= upTo.seq);
  });
}

/** Fails as soon as the client is closed: a stream that must go on. */
async function expectOpenWith(client: RecordingClient, frames: readonly string[], what: string) {
  const closed = client.closed.then((close) => {
    throw new Error(
      `${what}: closed with ${close.code} "${close.reason}" after ${client.frames.length} frames`,
    );
  });
  await Promise.race([expectFrames(client, frames, what), closed]);
}

test(
  'catch-up behind a moving retention edge: every paused reader gets every entry after its since, in order, or 4010 at its position with the oldest — never a silent gap',
  { skip: redisSkip, timeout: 240_000 },
  async (t) => {
    const gateway = await startGateway(t, {
      log: 'redis',
      retainBlocks: 40,
      config: {
        ringBlocks: 4,
        // Every position below 500 shares the aligned batch: what one reader reads, the next is served from.
        historyBatchEntries: 500,
        slowClientBytes: 64 * 1024,
        stallTimeoutSeconds: 600,
        idleTimeoutSeconds: 600,
      },
    });
    const bus = new Bus(gateway);
    const step = async () => {
      await bus.block(1);
      await bus.emit('APP_MESSAGE', LARGE);
      await bus.emit('APP_MESSAGE', LARGE);
    };
    for (let i = 0; i < 40; i += 1) await step();
    await bus.published();
    const epoch = gateway.app.epoch!;
    // Six resume from the oldest block (from the log), two are live readers that fall behind.
    const paths: Path[] = [
      'events',
      'events',
      'events',
      'events',
      'valid_blocks',
      'events?types=BLOCK_VALID',
    ];
    const readers: { path: Path; since: string; client: RecordingClient }[] = [];
    for (const path of paths) {
      const since = '1';
      const client = await RecordingClient.connect(
        gateway.stream(`${path}${path.includes('?') ? '&' : '?'}since=${since}&epoch=${epoch}`),
      );
      client.pause();
      readers.push({ path, since, client });
    }
    for (const path of ['events', 'valid_blocks'] as const) {
      const client = await RecordingClient.connect(gateway.stream(path));
      client.pause();
      readers.push({ path, since: busPosition(bus.items.at(-1)!), client });
    }
    // 400 blocks and 800 events of 60 KB (48 MB per reader) pass: more than the socket buffers
    // of a paused reader hold, so readers are left behind the 40 blocks retained.
    for (let i = 0; i < 400; i += 1) await step();
    await bus.block(1);
    await bus.published();
    const items = [...bus.items];
    /** Reads until the reader is closed or holds the last frame of the stream. */
    const drain = async ({ path, since, client }: (typeof readers)[number]) => {
      const all = framesOf(path, busAfter(items, since));
      let closed: ClosedWith | undefined;
      void client.closed.then((close) => {
        closed = close;
      });
      client.resume();
      await waitUntil(
        () => closed !== undefined || client.frames.at(-1) === all.at(-1),
        90_000,
        `${path} since=${since} closed or at the end`,
      );
      return { path, since, client, all, closed: closed as ClosedWith | undefined };
    };
    const outcomes = [];
    // One after another, as readers that paused for different times: each reads after the last.
    for (const reader of readers) outcomes.push(await drain(reader));
    let gone = 0;
    let cuts = 0;
    for (const { path, since, client, all, closed } of outcomes) {
      t.diagnostic(
        `${path} from ${since}: ${client.frames.length} of ${all.length} frames, ${closed ? `${closed.code} ${closed.reason}` : 'open'}`,
      );
      const what = `${path} from ${since}`;
      if (closed === undefined) {
        assert.deepEqual(client.frames.length, all.length, `${what}: every frame once`);
        assert.ok(
          client.frames.every((frame, i) => frame === all[i]),
          `${what}: every frame in order`,
        );
        continue;
      }
      if (closed.code === 1006) {
        // Cut before the close frame arrived (it was queued behind megabytes not yet read): the
        // cut rule resumes it; what did arrive must still be the stream without a gap.
        cuts += 1;
        assert.ok(
          client.frames.every((frame, i) => frame === all[i]),
          `${what}: cut after ${client.frames.length} frames, every one in order`,
        );
        continue;
      }
      gone += 1;
      assert.equal(closed.code, CloseCode.HISTORY_GONE, `${what}: ${closed.code} ${closed.reason}`);
      const position = positionIn(closed.reason)!;
      assert.equal(position.epoch, epoch);
      const at = { height: position.since, seq: position.seq ?? 0 };
      const oldest = Number(/(?:^|; )oldest=(\d+)/.exec(closed.reason)?.[1]);
      assert.ok(
        oldest > position.since,
        `${what}: oldest ${oldest} is after its position ${formatPosition(at)}`,
      );
      const upTo = framesOf(path, between(items, since, at));
      assert.equal(
        client.frames.length,
        upTo.length,
        `${what}: every frame up to ${formatPosition(at)}, nothing after`,
      );
      assert.ok(
        client.frames.every((frame, i) => frame === upTo[i]),
        `${what}: the frames up to ${formatPosition(at)}, in order`,
      );
    }
    assert.ok(gone > 0, 'the edge passed at least one reader');
    t.diagnostic(`closed with 4010: ${gone} of ${outcomes.length}; cut without a close frame: ${cuts}`);
  },
);

/** A gateway whose log starts with generic event 12-3: events 12-1 and 12-2 were trimmed, block 12 too. */
async function logStartingWithAnEvent(
  t: Parameters<typeof startGateway>[0],
  wrap?: (log: EventLog) => EventLog,
) {
  const gateway = await startGateway(t, {
    log: 'redis',
    config: { ringBlocks: 2 },
    ...(wrap ? { wrapLog: wrap } : {}),
  });
  const bus = new Bus(gateway);
  for (let i = 0; i < 20; i += 1) {
    await bus.block(1);
    for (let e = 0; e < 3; e += 1) await bus.emit('NODE_STATUS');
  }
  await bus.published();
  const trim = () => gateway.admin!.xtrim(gateway.key, 'MINID', '12-3');
  return { gateway, bus, trim, epoch: gateway.app.epoch! };
}

test(
  'a log starting with an event of block O−1: block-only streams resume from O−1; events is refused 410 from O−1 but resumes from the event before its first',
  { skip: redisSkip, timeout: 60_000 },
  async (t) => {
    const { gateway, bus, trim, epoch } = await logStartingWithAnEvent(t);
    await trim();
    assert.deepEqual(await gateway.log.bounds(), { first: 13, last: 20 });
    const open = async (path: string, since: string) =>
      RecordingClient.connect(
        gateway.stream(`${path}${path.includes('?') ? '&' : '?'}since=${since}&epoch=${epoch}`),
      );
    const blocks = await open('valid_blocks', '12');
    const blockEvents = await open('events?types=BLOCK_VALID', '12');
    const fromEvent = await open('events', '12-2');
    const fromOldest = await open('events', '13');
    const refused = await refusedUpgrade(gateway.stream(`events?since=12&epoch=${epoch}`));
    assert.deepEqual([refused.status, refused.body.code, refused.body.oldest], [410, 'HISTORY_GONE', 13]);
    const partway = await refusedUpgrade(gateway.stream(`events?since=12-1&epoch=${epoch}`));
    assert.deepEqual([partway.status, partway.body.code, partway.body.oldest], [410, 'HISTORY_GONE', 13]);
    await bus.block(1);
    await bus.published();
    await expectOpenWith(
      blocks,
      framesOf('valid_blocks', busAfter(bus.items, '12')),
      'valid_blocks since=12',
    );
    await expectOpenWith(
      blockEvents,
      framesOf('events?types=BLOCK_VALID', busAfter(bus.items, '12')),
      'events?types=BLOCK_VALID since=12',
    );
    await expectOpenWith(fromEvent, framesOf('events', busAfter(bus.items, '12-2')), 'events since=12-2');
    await expectOpenWith(fromOldest, framesOf('events', busAfter(bus.items, '13')), 'events since=13');
    await Promise.all([blocks, blockEvents, fromEvent, fromOldest].map((client) => client.close()));
  },
);

test(
  'accepted at upgrade, trimmed before the first read: events is closed with 4010 at its position, block-only streams go on',
  { skip: redisSkip, timeout: 60_000 },
  async (t) => {
    // History reads take a second: the trim lands between the upgrade and the socket's first read.
    const { gateway, bus, trim, epoch } = await logStartingWithAnEvent(t, (log) =>
      slowHistoryReads(log, 1000),
    );
    const [events, blocks] = await Promise.all([
      RecordingClient.connect(gateway.stream(`events?since=12&epoch=${epoch}`)),
      RecordingClient.connect(gateway.stream(`valid_blocks?since=12&epoch=${epoch}`)),
    ]);
    await trim();
    const closed = await events.closed;
    assert.equal(closed.code, CloseCode.HISTORY_GONE);
    assert.deepEqual(positionIn(closed.reason), { since: 12, epoch });
    assert.match(closed.reason, /; oldest=13(;|$)/);
    assert.deepEqual(events.frames, [], 'nothing after the position was sent');
    await bus.block(1);
    await bus.published();
    await expectOpenWith(
      blocks,
      framesOf('valid_blocks', busAfter(bus.items, '12')),
      'valid_blocks since=12',
    );
    await blocks.close();
  },
);

test(
  'a gateway whose own tail falls behind the retention edge closes its live sockets with 4010 at their position, never feeding them past a gap',
  { skip: redisSkip, timeout: 60_000 },
  async (t) => {
    // The tail hands entries on 20 ms apart, a read of 100 at a time: a burst of blocks trims
    // what it has not read yet.
    const gateway = await startGateway(t, {
      log: 'redis',
      retainBlocks: 10,
      wrapLog: (log) => laggingLog(log, 20),
    });
    const bus = new Bus(gateway);
    await bus.block(1);
    await bus.published();
    const epoch = await gateway.log.epoch();
    await waitUntil(() => gateway.app.epoch === epoch, 10_000, 'the gateway knows the epoch');
    const since = busPosition(bus.items.at(-1)!);
    const paths: Path[] = ['events', 'valid_blocks', 'events?types=BLOCK_VALID'];
    const clients = await Promise.all(paths.map((path) => RecordingClient.connect(gateway.stream(path))));
    for (let i = 0; i < 400; i += 1) {
      await bus.block(1);
      if (i % 2 === 0) await bus.emit('NODE_STATUS');
    }
    const items = [...bus.items];
    await bus.published();
    for (const [i, client] of clients.entries()) {
      const path = paths[i]!;
      const last = framesOf(path, items).at(-1);
      let closed: ClosedWith | undefined;
      void client.closed.then((close) => {
        closed = close;
      });
      await waitUntil(
        () => closed !== undefined || client.frames.at(-1) === last,
        30_000,
        `${path} closed or at the end`,
      );
      assert.ok(
        closed,
        `${path}: still open after ${client.frames.length} frames, the last ${client.frames.at(-1)}`,
      );
      assert.equal(closed.code, CloseCode.HISTORY_GONE, `${path}: ${closed.code} ${closed.reason}`);
      const position = positionIn(closed.reason)!;
      assert.equal(position.epoch, epoch);
      const at = { height: position.since, seq: position.seq ?? 0 };
      const upTo = framesOf(path, between(items, since, at));
      assert.deepEqual(
        client.frames,
        upTo,
        `${path}: every frame up to ${formatPosition(at)}, nothing after`,
      );
      const oldest = Number(/(?:^|; )oldest=(\d+)/.exec(closed.reason)?.[1]);
      assert.ok(
        oldest > position.since + 1,
        `${path}: oldest ${oldest} is past a gap after ${position.since}`,
      );
    }
  },
);
