/**
 * The retention edge, with real processes: readers that stop reading while the edge moves past
 * them, and a log whose oldest entry is a generic event. Every reader's history is checked against
 * the chain as sent and the events as ingest acknowledged them: every frame once and in order, or
 * a 4010/410 naming the position and the oldest block — after which the documented rule (resume
 * from `oldest` on `events`, `oldest − 1` on block streams) completes — never a silent gap.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { waitUntil } from '@blockcast/devkit';
import { oldestBlockFrom, parsePosition } from '@blockcast/protocol';
import { BlockSender } from '../support/block-sender.js';
import { ChaosTopology, type ChaosTopologyOptions, chaosSkip } from '../support/chaos-topology.js';
import { type DeliveryCheck, sumChecks, verifyDelivery } from '../support/delivery-verifier.js';
import { EdgeReader, type EdgeStream, edgeFrames } from '../support/edge-reader.js';
import { EventPoster } from '../support/event-poster.js';

interface EdgeRun {
  topology: ChaosTopology;
  sender: BlockSender;
  poster: EventPoster;
  epoch: string;
}

/** Two gateways, ingest, Redis; a sender at `rate` blocks/s and events after every block. */
async function startRun(
  t: TestContext,
  options: ChaosTopologyOptions & { rate: number; padding: number; perBlock: number },
): Promise<EdgeRun> {
  const topology = await ChaosTopology.start(options);
  const sender = new BlockSender({
    ingestUrl: topology.ingestUrl,
    token: topology.token,
    rate: options.rate,
  });
  const poster = new EventPoster({
    ingestUrl: topology.ingestUrl,
    token: topology.token,
    padding: options.padding,
    perBlock: options.perBlock,
    acknowledged: () => sender.acknowledged,
  });
  t.after(async () => {
    await poster.stop().catch(() => undefined);
    await sender.stop().catch(() => undefined);
    await topology.stop();
  });
  sender.start();
  await waitUntil(() => sender.acknowledged >= 1, 20_000, 'the first block acknowledged');
  poster.start();
  const epoch = await topology.epoch();
  assert.ok(epoch, 'the stream has an epoch');
  return { topology, sender, poster, epoch };
}

/** The oldest block the log holds now. */
async function oldestBlock(topology: ChaosTopology): Promise<number> {
  const admin = topology.admin();
  try {
    const [first] = await admin.xrange(topology.streamKey, '-', '+', 'COUNT', 1);
    assert.ok(first, 'the log holds an entry');
    return oldestBlockFrom(parsePosition(first[0])!);
  } finally {
    admin.disconnect();
  }
}

/** Events stop, then one more block, then blocks: the last height, after every event, every entry acknowledged. */
async function stopLoad(run: EdgeRun): Promise<number> {
  await run.poster.stop();
  const after = run.sender.acknowledged + 1;
  await waitUntil(() => run.sender.acknowledged >= after, 20_000, 'a block after the last event');
  return run.sender.stop();
}

/** Waits until every reader's current segment holds the last frame of block `final`. */
async function allAt(run: EdgeRun, readers: readonly EdgeReader[], final: number): Promise<void> {
  const lastOf = (reader: EdgeReader) =>
    edgeFrames(reader.stream, run.sender, run.poster.events)(final)!.at(-1);
  const done = (reader: EdgeReader) => reader.current.frames.at(-1) === lastOf(reader);
  const behind = () =>
    readers
      .filter((reader) => !done(reader))
      .map(
        (reader) =>
          `${reader.stream} at ${reader.current.frames.at(-1)?.slice(0, 60)} after ${reader.signals.join(' | ')}`,
      );
  await waitUntil(
    () => readers.every(done),
    30_000,
    `every reader through ${final} (${readers.filter(done).length} of ${readers.length}; behind: ${behind().join('; ')})`,
    50,
  );
}

function verify(run: EdgeRun, readers: readonly EdgeReader[], final: number): DeliveryCheck {
  return sumChecks(
    readers.map((reader) =>
      verifyDelivery(reader.segments, edgeFrames(reader.stream, run.sender, run.poster.events), {
        first: 1,
        last: final,
      }),
    ),
  );
}

function assertWhole(check: DeliveryCheck): void {
  assert.deepEqual(
    { lost: check.lost, duplicated: check.duplicated, reordered: check.reordered, changed: check.changed },
    { lost: 0, duplicated: 0, reordered: 0, changed: 0 },
    check.problems.join('\n'),
  );
  assert.equal(check.problems.length, 0, check.problems.join('\n'));
}

test(
  'readers paused while the retention edge moves past them get every entry once in order, or 4010 naming position and oldest, and the rule completes them',
  { ...chaosSkip(), timeout: 90_000 },
  async (t) => {
    const run = await startRun(t, {
      env: {
        RETAIN_BLOCKS: '50',
        GATEWAY_SLOW_CLIENT_BYTES: '65536',
        GATEWAY_RING_BLOCKS: '10',
        GATEWAY_STALL_TIMEOUT_S: '600',
      },
      rate: 20,
      padding: 60_000,
      perBlock: 2,
    });
    const { topology, sender } = run;
    await waitUntil(() => sender.acknowledged >= 60, 20_000, '60 blocks: the edge is moving');
    const gateways = topology.gatewayUrls;
    const make = (stream: EdgeStream, i: number, since: number) =>
      new EdgeReader({
        gateway: gateways[i % gateways.length]!,
        stream,
        since: String(since),
        epoch: run.epoch,
      });
    // Six paused from near the oldest block (the edge may pass them before they connect: then 410),
    // two reading all along from near the head.
    const streams: EdgeStream[] = ['events', 'valid_blocks', 'events', 'events?types=BLOCK_VALID'];
    const from = (await oldestBlock(topology)) + 10;
    const paused = Array.from({ length: 6 }, (_, i) => make(streams[i % streams.length]!, i, from));
    const steady = [
      make('events', 0, sender.acknowledged - 5),
      make('valid_blocks', 1, sender.acknowledged - 5),
    ];
    for (const reader of paused) {
      await reader.start();
      reader.pause();
    }
    await Promise.all(steady.map((reader) => reader.start()));
    const readers = [...paused, ...steady];
    t.after(() => {
      for (const reader of readers) reader.stop();
    });
    // 150 blocks with 300 events of 60 KB: ~18 MB per reader, more than a paused socket buffers,
    // while the log keeps 50 blocks (~6 MB).
    const resumeAt = sender.acknowledged + 150;
    await waitUntil(() => sender.acknowledged >= resumeAt, 40_000, '150 more blocks');
    // One after another: each reader's reads come after the others' (a batch read by one is there for the next).
    for (const reader of paused) {
      reader.resume();
      const height = sender.acknowledged;
      await waitUntil(
        () =>
          reader.segments.length > 1 ||
          reader.current.frames.some((frame) => frame.includes(`"height": ${height}`)),
        20_000,
        'the reader caught up or was told its history is gone',
      );
    }
    const final = await stopLoad(run);
    await allAt(run, readers, final);
    const check = verify(run, readers, final);
    const gone = readers.filter((reader) => reader.signals.some((signal) => signal.startsWith('4010')));
    t.diagnostic(
      `edge-figures ${JSON.stringify({
        readers: readers.length,
        blocks: final,
        events: run.poster.events.length,
        checked: check.checked,
        lost: check.lost,
        duplicated: check.duplicated,
        reordered: check.reordered,
        changed: check.changed,
        closed4010: gone.length,
        cuts: readers.reduce((sum, reader) => sum + reader.cuts, 0),
        droppedRepeats: readers.reduce((sum, reader) => sum + reader.droppedRepeats, 0),
        signals: readers.flatMap((reader) => reader.signals.map((signal) => signal.slice(0, 60))),
      })}`,
    );
    assertWhole(check);
    assert.ok(gone.length > 0, 'the edge passed at least one paused reader');
    for (const reader of readers) {
      for (const signal of reader.signals) {
        assert.match(
          signal,
          /^(4010 history gone; since=\d+(-\d+)?; epoch=\w+; oldest=\d+|410 \{"code":"HISTORY_GONE",.*"oldest":\d+.*)$/s,
          'only 4010 or 410 HISTORY_GONE, naming the oldest block (and the position)',
        );
      }
    }
    assert.ok(
      steady.every((reader) => reader.signals.length === 0 && reader.cuts === 0),
      'readers that kept reading were never told their history is gone',
    );
  },
);

test(
  'a log whose oldest entry is a generic event of block O−1: block-only streams resume from O−1, events is refused there (410) and never starts partway',
  { ...chaosSkip(), timeout: 60_000 },
  async (t) => {
    // A small ring: positions before the last blocks are judged against the log.
    const run = await startRun(t, { env: { GATEWAY_RING_BLOCKS: '3' }, rate: 10, padding: 0, perBlock: 3 });
    const { topology, sender, poster } = run;
    // What MINID ~ trimming can leave: the log starts with a later event after block O − 1.
    await waitUntil(
      () => poster.events.some((event) => event.seq >= 2 && event.height >= 10),
      20_000,
      'a block after 10 with two events',
    );
    const edge = poster.events.find((event) => event.seq >= 2 && event.height >= 10)!;
    // Well behind the gateways' rings (3 blocks), which would serve it from memory.
    await waitUntil(() => sender.acknowledged >= edge.height + 10, 20_000, 'ten blocks after the edge');
    const admin = topology.admin();
    await admin.xtrim(topology.streamKey, 'MINID', `${edge.height}-${edge.seq}`);
    admin.disconnect();
    assert.equal(await oldestBlock(topology), edge.height + 1);
    const readers: EdgeReader[] = [];
    const open = async (gateway: string, stream: EdgeStream, since: string) => {
      const reader = new EdgeReader({ gateway, stream, since, epoch: run.epoch });
      readers.push(reader);
      await reader.start();
      return reader;
    };
    t.after(() => {
      for (const reader of readers) reader.stop();
    });
    const O1 = String(edge.height);
    const fromBlock: EdgeReader[] = [];
    const refused: EdgeReader[] = [];
    for (const gateway of topology.gatewayUrls) {
      fromBlock.push(
        await open(gateway, 'valid_blocks', O1),
        await open(gateway, 'events?types=BLOCK_VALID', O1),
      );
      refused.push(await open(gateway, 'events', O1));
    }
    const fromEvent = await open(topology.gatewayUrls[1]!, 'events', `${edge.height}-${edge.seq - 1}`);
    const more = sender.acknowledged + 15;
    await waitUntil(() => sender.acknowledged >= more, 20_000, '15 more blocks');
    const final = await stopLoad(run);
    await allAt(run, readers, final);

    const checks = [verify(run, fromBlock, final), verify(run, refused, final)];
    t.diagnostic(
      `edge-figures ${JSON.stringify({
        readers: readers.length,
        blocks: final,
        events: poster.events.length,
        logStartsAt: `${edge.height}-${edge.seq}`,
        checked: checks[0]!.checked + checks[1]!.checked + fromEvent.current.frames.length,
        signals: readers.flatMap((reader) => reader.signals.map((signal) => signal.slice(0, 60))),
      })}`,
    );
    assertWhole(checks[0]!);
    for (const reader of fromBlock)
      assert.deepEqual(reader.signals, [], `${reader.stream} from ${O1}: no signal`);
    assertWhole(checks[1]!);
    for (const reader of refused) {
      assert.deepEqual(
        reader.segments[0]!.frames,
        [],
        'events from O−1: nothing delivered before the refusal',
      );
      assert.equal(reader.signals.length, 1, 'refused once, then resumed by the rule');
      assert.match(reader.signals[0]!, /^410 .*"code":"HISTORY_GONE".*"oldest":(\d+)/);
      assert.deepEqual(
        [reader.segments[1]!.since, reader.segments[1]!.startedBy],
        [edge.height + 1, 'HISTORY_GONE'],
      );
    }
    // From the event before the log's first: exactly the log from there, starting with that event.
    const frames = edgeFrames('events', sender, poster.events);
    const owed = (frames(edge.height + 1) ?? []).slice(edge.seq - 1);
    for (let height = edge.height + 2; height <= final; height += 1) owed.push(...frames(height)!);
    assert.deepEqual(fromEvent.signals, []);
    assert.equal(fromEvent.current.frames.length, owed.length, 'every frame after the position, once');
    assert.ok(
      fromEvent.current.frames.every((frame, i) => frame === owed[i]),
      'in order, from the first event held',
    );
  },
);
