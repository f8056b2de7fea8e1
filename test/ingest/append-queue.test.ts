import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { DemoLedger } from '@blockcast/demo-chain';
import { AppendRefusedError, type AppendResult, type EventLog, MemoryLog } from '@blockcast/event-log';
import { type BlockEvent, normaliseBlock } from '@blockcast/protocol';
import { AppendQueue } from '../../services/ingest/src/append-queue.js';
import { redisSkip, startIngest } from './ingest-harness.js';

/**
 * A log shaped like Redis behind one connection: each append is decided when it is issued (in
 * issue order), and its answer arrives later, after `replyMs(block)`.
 */
function remoteLog(
  events: string[],
  options: { replyMs?: (block: BlockEvent) => number; failHeight?: number } = {},
): Pick<EventLog, 'append'> & { inner: MemoryLog } {
  const inner = new MemoryLog();
  const { replyMs = () => 5, failHeight } = options;
  return {
    inner,
    async append(block: BlockEvent): Promise<AppendResult> {
      events.push(`start ${block.height}`);
      const decided =
        block.height === failHeight ? Promise.reject(new Error('redis went away')) : inner.append(block);
      decided.catch(() => {});
      await delay(replyMs(block));
      events.push(`end ${block.height}`);
      return decided;
    },
  };
}

function blocks(count: number): BlockEvent[] {
  const ledger = new DemoLedger();
  return Array.from({ length: count }, () => normaliseBlock(ledger.nextBlock(2)));
}

/** The same height with other content. */
function forkOf(block: BlockEvent): BlockEvent {
  return { ...block, hash: 'F'.repeat(64), digest: `${block.digest.slice(0, -1)}x` };
}

type Outcome = string;

async function outcome(answer: Promise<AppendResult>): Promise<Outcome> {
  try {
    const { status, height } = await answer;
    return `${status} ${height}`;
  } catch (error) {
    if (error instanceof AppendRefusedError)
      return `${error.code} ${error.height} expected ${error.expectedHeight}`;
    return `error ${(error as Error).message}`;
  }
}

/** What one-at-a-time appends answer, each issued after the previous one has answered. */
async function serialOutcomes(sequence: BlockEvent[]): Promise<Outcome[]> {
  const log = new MemoryLog();
  const outcomes: Outcome[] = [];
  for (const block of sequence) outcomes.push(await outcome(log.append(block)));
  return outcomes;
}

test('contiguous appends handed over together are all issued before the first answer arrives', async () => {
  const events: string[] = [];
  const queue = new AppendQueue(remoteLog(events));
  const [first, ...rest] = blocks(5);
  await queue.append(first!);
  events.length = 0;
  const results = await Promise.all(rest.map((block) => queue.append(block)));
  assert.deepEqual(
    results.map((result) => result.status),
    ['appended', 'appended', 'appended', 'appended'],
  );
  assert.deepEqual(events.slice(0, 4), ['start 2', 'start 3', 'start 4', 'start 5']);
});

test('appends handed over before the log is known to hold blocks are issued one at a time', async () => {
  // Until an answer shows the log holds blocks, which heights it takes is not known here.
  const events: string[] = [];
  const queue = new AppendQueue(remoteLog(events));
  await Promise.all(blocks(3).map((block) => queue.append(block)));
  assert.deepEqual(events, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
});

test('under steady pipelined load, pipelining starts after the first answer and resumes after a resend', async () => {
  const events: string[] = [];
  const log = remoteLog(events);
  const queue = new AppendQueue(log);
  const chain = blocks(40);
  // 8 in flight at all times, like a pipelining sender; block 20 is sent twice.
  const sequence = [...chain.slice(0, 20), chain[19]!, ...chain.slice(20)];
  let next = 0;
  const answers: Outcome[] = [];
  const sender = async () => {
    while (next < sequence.length) answers.push(await outcome(queue.append(sequence[next++]!)));
  };
  await Promise.all(Array.from({ length: 8 }, sender));
  assert.equal(answers.filter((answer) => answer.startsWith('appended')).length, 40);
  assert.deepEqual(
    answers.filter((answer) => !answer.startsWith('appended')),
    ['duplicate 20'],
  );
  /** Most appends in flight at once, between two event indexes. */
  const mostInFlight = (from: number, to: number) => {
    let open = 0;
    let most = 0;
    for (const event of events.slice(from, to)) {
      open += event.startsWith('start') ? 1 : -1;
      most = Math.max(most, open);
    }
    return most;
  };
  const resend = events.indexOf('start 20', events.indexOf('start 20') + 1);
  assert.equal(mostInFlight(0, 2), 1, 'the first block alone');
  assert.ok(mostInFlight(2, resend) > 4, 'pipelined before the resend');
  assert.ok(mostInFlight(resend + 2, events.length) > 4, 'pipelined again after it');
});

test('answers leave in hand-over order even when the log answers a later block first', async () => {
  const queue = new AppendQueue(remoteLog([], { replyMs: (block) => 40 - block.height * 10 }));
  const order: number[] = [];
  await Promise.all(blocks(3).map((block) => queue.append(block).then(() => order.push(block.height))));
  assert.deepEqual(order, [1, 2, 3]);
});

test('gaps, duplicates, conflicts and appends are exactly what serial appends would answer', async () => {
  // chain[0] is appended first, so the log holds blocks and the rest is pipelined.
  const chain = blocks(10);
  // A height (counted after chain[0]), or a fork of it (the same height with other content).
  const pick = (height: number | `f${number}`) =>
    typeof height === 'number' ? chain[height]! : forkOf(chain[Number(height.slice(1))]!);
  const sequences: (number | `f${number}`)[][] = [
    [1, 2, 3, 4],
    [1, 2, 2, 3, 5, 6, 4, 5],
    [1, 2, 'f2', 3, 'f3', 4],
    [2, 3, 1, 2, 3, 4],
    [1, 3, 4, 2, 3, 4, 5],
    [1, 2, 3, 1, 2, 3, 4, 5, 6, 7],
    [1, 'f1', 1, 2, 3, 'f3', 4],
  ];
  // And random ones: mostly rising, with resends, jumps and forks.
  for (let i = 0; i < 100; i += 1) {
    let height = 1;
    sequences.push(
      Array.from({ length: 12 }, () => {
        const roll = Math.random();
        height = roll < 0.7 ? height + 1 : roll < 0.85 ? height - 2 : height + 2;
        height = Math.min(9, Math.max(1, height));
        return Math.random() < 0.1 ? (`f${height}` as const) : height;
      }),
    );
  }
  let mostInFlight = 0;
  for (const heights of sequences) {
    const sequence = heights.map(pick);
    let open = 0;
    const log = remoteLog([], { replyMs: () => Math.random() * 3 });
    const queue = new AppendQueue({
      async append(block) {
        mostInFlight = Math.max(mostInFlight, ++open);
        return log.append(block).finally(() => open--);
      },
    });
    await queue.append(chain[0]!);
    const pipelined = await Promise.all(sequence.map((block) => outcome(queue.append(block))));
    assert.deepEqual(pipelined, (await serialOutcomes([chain[0]!, ...sequence])).slice(1), heights.join(','));
  }
  assert.ok(mostInFlight > 2, `appends overlapped (at most ${mostInFlight} at once)`);
});

test('a pipelined gap is asked again after earlier answers: the log running blocks out of order is undone', async () => {
  // Like Redis re-sending block 2 as EVAL after NOSCRIPT while block 3's EVALSHA already ran.
  const inner = new MemoryLog();
  let firstOfBlock2 = false;
  const log: Pick<EventLog, 'append'> = {
    async append(block) {
      if (block.height === 2 && firstOfBlock2) {
        firstOfBlock2 = false;
        await delay(20);
      }
      return inner.append(block);
    },
  };
  const queue = new AppendQueue(log);
  const [zero, ...sequence] = blocks(4);
  firstOfBlock2 = true;
  await queue.append(zero!);
  const answers = await Promise.all(sequence.map((block) => outcome(queue.append(block))));
  assert.deepEqual(answers, (await serialOutcomes([zero!, ...sequence])).slice(1));
  assert.deepEqual(answers, ['appended 2', 'appended 3', 'appended 4']);
});

test('a block that does not follow the previous one waits for the earlier answers before it is issued', async () => {
  const events: string[] = [];
  const queue = new AppendQueue(remoteLog(events));
  const [b1, b2] = blocks(2) as [BlockEvent, BlockEvent];
  const answers = await Promise.all([b1, forkOf(b1), b2].map((block) => outcome(queue.append(block))));
  assert.deepEqual(answers, ['appended 1', 'HEIGHT_CONFLICT 1 expected 2', 'appended 2']);
  // The fork, and block 2 handed over behind it, each started only after the previous answer.
  assert.deepEqual(events, ['start 1', 'end 1', 'start 1', 'end 1', 'start 2', 'end 2']);
});

test('a failed append does not stop the queue: the next block gets its own answer', async () => {
  const events: string[] = [];
  const queue = new AppendQueue(remoteLog(events, { failHeight: 3 }));
  const [first, ...rest] = blocks(4);
  await queue.append(first!);
  const [second, third, fourth] = rest.map((block) => queue.append(block));
  assert.equal((await second!).status, 'appended');
  await assert.rejects(third!, /redis went away/);
  // Block 3 never reached the log, so block 4 (issued before block 3 failed) is an honest gap, not a hang.
  await assert.rejects(fourth!, { name: 'AppendRefusedError', code: 'HEIGHT_GAP', expectedHeight: 3 });
  assert.deepEqual(events.slice(2, 5), ['start 2', 'start 3', 'start 4']);
});

test('depth counts appends queued or in flight, and drain waits for all of them', async () => {
  const queue = new AppendQueue(remoteLog([]));
  for (const block of blocks(3)) void queue.append(block);
  assert.equal(queue.depth, 3);
  await queue.drain();
  assert.equal(queue.depth, 0);
});

test(
  'on a real Redis, pipelined appends answer exactly what serial appends answer',
  { skip: redisSkip },
  async (t) => {
    const chain = blocks(30);
    // Rising, with a resend, a fork, a jump and a height going back.
    const heights = [
      1, 2, 3, 4, 5, 5, 6, 7, 9, 8, 9, 10, -10, 10, 11, 12, 3, 4, 13, 14, 15, 16, 17, 18, 19, 20,
    ];
    const sequence = heights.map((height) => (height < 0 ? forkOf(chain[-height - 1]!) : chain[height - 1]!));
    const pipelinedLog = await startIngest(t);
    const serialLog = await startIngest(t);
    let open = 0;
    let mostOpen = 0;
    const queue = new AppendQueue({
      append(block) {
        mostOpen = Math.max(mostOpen, ++open);
        return pipelinedLog.log.append(block).finally(() => open--);
      },
    });
    await queue.append(sequence[0]!);
    const pipelined = [
      'appended 1',
      ...(await Promise.all(sequence.slice(1).map((block) => outcome(queue.append(block))))),
    ];
    const serial: Outcome[] = [];
    for (const block of sequence) serial.push(await outcome(serialLog.log.append(block)));
    assert.deepEqual(pipelined, serial);
    assert.ok(mostOpen > 4, `appends were in flight together (at most ${mostOpen})`);
    // Each log has an epoch of its own; everything else is stored alike.
    const stored = async (harness: typeof serialLog) =>
      (await harness.entries()).map(([id, fields]) => [id, fields.slice(0, fields.indexOf('epoch'))]);
    assert.deepEqual(await stored(pipelinedLog), await stored(serialLog));
  },
);
