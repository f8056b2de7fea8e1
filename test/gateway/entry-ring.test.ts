/** The ring of recent entries: blocks and generic events in bus order, bounded, and honest about what it covers. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeBlockEvent } from '@blockcast/devkit';
import {
  type BlockEntry,
  blockEntry,
  type EventEntry,
  formatPosition,
  type LogEntry,
  type Position,
} from '@blockcast/protocol';
import { EntryRing } from '../../services/gateway/src/delivery/entry-ring.js';

function event(height: number, seq: number, text = 'x'): EventEntry {
  return {
    kind: 'event',
    type: 'APP_MESSAGE',
    height,
    seq,
    content: { topic: 't', body: text },
    emittedAt: 0,
  };
}

function block(height: number, transactions: number): BlockEntry {
  return blockEntry(makeBlockEvent(height, transactions));
}

/** Every position the ring hands out after `cursor`, following it entry by entry. */
function walk(ring: EntryRing, cursor: Position): string[] {
  const seen: string[] = [];
  let at: Position | undefined = cursor;
  while (at !== undefined) {
    at = ring.after(at, 'k', () => [])?.position;
    if (at !== undefined) seen.push(formatPosition(at));
  }
  return seen;
}

test('entries come back in bus order after any cursor it covers, frames built once per key', () => {
  const ring = new EntryRing({ blocks: 100, bytes: 1 << 24 });
  const entries: LogEntry[] = [event(0, 1), block(1, 2), event(1, 1), event(1, 2), block(2, 0)];
  for (const entry of entries) ring.push(entry);
  assert.deepEqual(walk(ring, { height: 0, seq: 1 }), ['1', '1-1', '1-2', '2']);
  assert.deepEqual(walk(ring, { height: 1, seq: 0 }), ['1-1', '1-2', '2']);
  assert.deepEqual(walk(ring, { height: 2, seq: 0 }), []);
  let builds = 0;
  const build = () => {
    builds += 1;
    return ['frame'];
  };
  assert.deepEqual(ring.after({ height: 1, seq: 0 }, 'j', build)?.frames, ['frame']);
  assert.deepEqual(ring.after({ height: 1, seq: 0 }, 'j', build)?.frames, ['frame']);
  assert.equal(builds, 1);
  assert.deepEqual([ring.size, ring.entries, ring.oldest, ring.newest], [2, 5, 1, 2]);
});

test('a block leaves with its generic events; the ring still covers the position of the last one evicted', () => {
  const ring = new EntryRing({ blocks: 2, bytes: 1 << 24 });
  for (const entry of [block(1, 1), event(1, 1), event(1, 2), block(2, 1), event(2, 1)]) {
    ring.push(entry);
  }
  ring.push(block(3, 1));
  assert.deepEqual([ring.size, ring.entries, ring.oldest], [2, 3, 2]);
  assert.equal(ring.covers({ height: 1, seq: 2 }), true, 'everything after 1-2 is held');
  assert.equal(ring.covers({ height: 1, seq: 1 }), false, '1-2 itself is gone');
  assert.deepEqual(walk(ring, { height: 1, seq: 2 }), ['2', '2-1', '3']);
  assert.equal(
    ring.after({ height: 1, seq: 0 }, 'k', () => []),
    undefined,
  );
});

test('generic events count in the byte limit; the newest entry always stays', () => {
  const ring = new EntryRing({ blocks: 1000, bytes: 20_000 });
  ring.push(block(1, 1));
  for (let seq = 1; seq <= 40; seq += 1) ring.push(event(1, seq, 'y'.repeat(1000)));
  assert.ok(ring.bytes <= 20_000, `${ring.bytes} bytes held`);
  assert.ok(ring.entries < 41, `${ring.entries} entries held`);
  assert.equal(ring.size, 0, 'the block went first');
  assert.deepEqual(walk(ring, { height: 1, seq: 39 }), ['1-40'], 'the newest is held');
});

test('an entry that does not follow the newest starts the ring over: it never claims what it did not see', () => {
  const ring = new EntryRing({ blocks: 100, bytes: 1 << 24 });
  ring.push(block(1, 1));
  ring.push(event(1, 1));
  ring.push(event(1, 3));
  assert.equal(ring.entries, 1);
  assert.equal(ring.covers({ height: 1, seq: 1 }), false);
  ring.push(block(3, 0));
  assert.equal(ring.entries, 1, 'block 2 is missing');
});
