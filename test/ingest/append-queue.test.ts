import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AppendResult, type EventLog, MemoryLog } from '@blockcast/bus';
import { DemoLedger } from '@blockcast/demo-chain';
import { type BlockEvent, normaliseBlock } from '@blockcast/protocol';
import { AppendQueue } from '../../services/ingest/src/append-queue.js';

/** A log whose appends take a while and record when they start and end. */
function slowLog(events: string[], failHeight?: number): Pick<EventLog, 'append'> {
  const inner = new MemoryLog();
  return {
    async append(block: BlockEvent): Promise<AppendResult> {
      events.push(`start ${block.height}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      events.push(`end ${block.height}`);
      if (block.height === failHeight) throw new Error('redis went away');
      return inner.append(block);
    },
  };
}

function blocks(count: number): BlockEvent[] {
  const ledger = new DemoLedger();
  return Array.from({ length: count }, () => normaliseBlock(ledger.nextBlock(2)));
}

test('appends handed over together run one at a time, in hand-over order', async () => {
  const events: string[] = [];
  const queue = new AppendQueue(slowLog(events));
  const results = await Promise.all(blocks(4).map((block) => queue.append(block)));
  assert.deepEqual(
    results.map((result) => result.status),
    ['appended', 'appended', 'appended', 'appended'],
  );
  assert.deepEqual(events, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3', 'start 4', 'end 4']);
});

test('a failed append does not stop the queue: the next block gets its own answer', async () => {
  const events: string[] = [];
  const queue = new AppendQueue(slowLog(events, 2));
  const [first, second, third] = blocks(3).map((block) => queue.append(block));
  assert.equal((await first!).status, 'appended');
  await assert.rejects(second!, /redis went away/);
  // Block 2 never reached the log, so block 3 is an honest gap, not a hang.
  await assert.rejects(third!, { name: 'AppendRefusedError', code: 'HEIGHT_GAP', expectedHeight: 2 });
});

test('depth counts appends queued or in flight, and drain waits for all of them', async () => {
  const queue = new AppendQueue(slowLog([]));
  for (const block of blocks(3)) void queue.append(block);
  assert.equal(queue.depth, 3);
  await queue.drain();
  assert.equal(queue.depth, 0);
});
