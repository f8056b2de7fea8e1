/**
 * `continuesAfter`: when a run of the log that may start after a cursor still holds everything
 * that cursor's reader needs — the rule catch-up and the resume check both judge by.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { continuesAfter, oldestBlockFrom, type Position } from '@blockcast/protocol';

const at = (text: string): Position => {
  const [height, seq = 0] = text.split('-').map(Number) as [number, number?];
  return { height, seq };
};

test('a run that starts at or before the cursor holds what follows it, for every reader', () => {
  for (const [cursor, first] of [
    ['12', '12'],
    ['12', '11-3'],
    ['12-2', '12'],
    ['12-2', '12-2'],
  ] as const) {
    assert.equal(continuesAfter(at(cursor), at(first), true), true, `${first} after ${cursor}`);
    assert.equal(continuesAfter(at(cursor), at(first), false), true, `${first} after ${cursor}`);
  }
});

test('a reader of events is served only from the very next event, never partway and never past a height whose events may be gone', () => {
  const cases: [string, string, boolean][] = [
    ['12', '12-1', true],
    ['12-2', '12-3', true],
    ['12', '12-3', false],
    ['12-1', '12-3', false],
    ['12', '13', false],
    ['12-3', '13', false],
    ['12', '14', false],
  ];
  for (const [cursor, first, expected] of cases) {
    assert.equal(continuesAfter(at(cursor), at(first), true), expected, `events: ${first} after ${cursor}`);
  }
});

test('a reader of blocks only needs the next block: events before it do not end its stream', () => {
  const cases: [string, string, boolean][] = [
    ['12', '12-3', true],
    ['12', '13', true],
    ['12', '13-1', false],
    ['12', '14', false],
    ['11', '12-3', false],
  ];
  for (const [cursor, first, expected] of cases) {
    assert.equal(continuesAfter(at(cursor), at(first), false), expected, `blocks: ${first} after ${cursor}`);
  }
});

test('from the start (0), a log that still begins with block 1 is whole; one that lost event 0-1 is not', () => {
  assert.equal(continuesAfter(at('0'), at('1'), true), true);
  assert.equal(continuesAfter(at('0'), at('0-1'), true), true);
  assert.equal(continuesAfter(at('0'), at('0-2'), true), false);
  assert.equal(continuesAfter(at('0'), at('2'), true), false);
});

test('the oldest block of a log whose first entry is an event is the next one', () => {
  assert.equal(oldestBlockFrom(at('12-3')), 13);
  assert.equal(oldestBlockFrom(at('12')), 12);
});
