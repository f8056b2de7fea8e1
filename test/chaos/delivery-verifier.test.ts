/**
 * The verifier must catch each way a delivery can be wrong, or every scenario passing means
 * nothing: a gap, a repeat, a reordering, changed content, a last run that stops short, and a
 * new run that did not begin where its signal said.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeBlock } from '@blockcast/devkit';
import type { CommittedBlock } from '@blockcast/protocol';
import { verifyDelivery } from '../support/delivery-verifier.js';
import { expectedValidBlocks } from '../support/expected-frames.js';
import type { DeliverySegment } from '../support/resuming-client.js';

const chain = new Map<number, CommittedBlock>();
for (let height = 1; height <= 10; height += 1) chain.set(height, makeBlock(height, 1));
function frameAt(height: number): string {
  const block = chain.get(height);
  assert.ok(block, `block ${height} is in the test chain`);
  return expectedValidBlocks([block])[0]!;
}
const framesOf = (height: number) => (chain.has(height) ? [frameAt(height)] : undefined);
const run = (since: number, heights: number[], startedBy = 'start'): DeliverySegment => ({
  since,
  epoch: undefined,
  startedBy,
  frames: heights.map(frameAt),
});
const all = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const LOG = { first: 1, last: 10 };

test('a complete delivery passes with every frame counted', () => {
  const check = verifyDelivery([run(0, all)], framesOf, LOG);
  assert.deepEqual(check, { checked: 10, lost: 0, duplicated: 0, reordered: 0, changed: 0, problems: [] });
});

test('a gap is counted as lost', () => {
  const check = verifyDelivery([run(0, [1, 2, 3, 5, 6, 7, 8, 9, 10])], framesOf, LOG);
  assert.equal(check.lost, 1);
  assert.match(check.problems[0]!, /frame 3/);
});

test('a repeat is counted as duplicated', () => {
  const check = verifyDelivery([run(0, [1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10])], framesOf, LOG);
  assert.equal(check.duplicated, 1);
  assert.equal(check.lost, 0);
});

test('two frames swapped are counted as reordered', () => {
  const check = verifyDelivery([run(0, [1, 2, 4, 3, 5, 6, 7, 8, 9, 10])], framesOf, LOG);
  assert.equal(check.reordered, 1);
  assert.equal(check.lost, 0);
});

test('a frame no block produces is counted as changed', () => {
  const segment = run(0, all);
  segment.frames[4] = segment.frames[4]!.replace(/"hash": "[0-9A-F]{4}/, '"hash": "0000');
  const check = verifyDelivery([segment], framesOf, LOG);
  assert.equal(check.changed, 1);
  assert.equal(check.lost, 1);
});

test('a last run that stops before the log does is short by the missing blocks', () => {
  const check = verifyDelivery([run(0, [1, 2, 3, 4, 5, 6, 7, 8])], framesOf, LOG);
  assert.equal(check.lost, 2);
});

test('after a reset signal, the new run is checked from the position the signal named', () => {
  const passes = verifyDelivery(
    [run(0, [1, 2, 3, 4, 5, 6]), run(4, [5, 6, 7, 8, 9, 10], '4011')],
    framesOf,
    LOG,
  );
  assert.equal(passes.problems.length, 0);
  const gap = verifyDelivery([run(0, [1, 2, 3, 4, 5, 6]), run(4, [6, 7, 8, 9, 10], '4011')], framesOf, LOG);
  assert.equal(gap.lost, 1);
});

test('a repeat across a cut without a signal is a duplicate, not a new run', () => {
  const check = verifyDelivery([run(0, [1, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10])], framesOf, LOG);
  assert.equal(check.duplicated, 1);
});

test('a log that begins above 1 (an empty restart) is checked from its first height', () => {
  const check = verifyDelivery([run(0, [1, 2, 3]), run(0, [6, 7, 8, 9, 10], '4011')], framesOf, {
    first: 6,
    last: 10,
  });
  assert.equal(check.problems.length, 0, check.problems.join('\n'));
  assert.equal(check.checked, 8);
});

function frame(history: string, height: number, part: string): string {
  return JSON.stringify({ height, transaction_id: `${history}${height}${part}` });
}
/** Two frames a block (valid_transactions-like), in two histories A and B at the same heights. */
const histories = new Map(
  ['A', 'B'].map((name) => [
    name,
    new Map(
      Array.from(
        { length: 10 },
        (_, i) => [i + 1, [frame(name, i + 1, 'a'), frame(name, i + 1, 'b')]] as const,
      ),
    ),
  ]),
);
const framesIn = (height: number, segment: DeliverySegment) =>
  histories.get(segment.epoch ?? 'A')?.get(height);
const framesUpTo = (name: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => histories.get(name)?.get(from + i) ?? []).flat();

test('each segment is checked against the history of its epoch: frames of another history under it are changed', () => {
  const left = { since: 0, epoch: 'A', startedBy: 'start', frames: framesUpTo('A', 1, 4) };
  const right = { since: 2, epoch: 'B', startedBy: 'EPOCH_MISMATCH', frames: framesUpTo('B', 3, 10) };
  const passes = verifyDelivery([left, right], framesIn, LOG);
  assert.equal(passes.problems.length, 0, passes.problems.join('\n'));
  const silentSwitch = { ...right, epoch: 'A', frames: framesUpTo('B', 3, 10) };
  assert.equal(verifyDelivery([left, silentSwitch], framesIn, LOG).changed, 16);
});

test('a history left after a cut may end inside its last block only when 409 EPOCH_MISMATCH followed', () => {
  const cut = {
    since: 0,
    epoch: 'A',
    startedBy: 'start',
    frames: [...framesUpTo('A', 1, 4), frame('A', 5, 'a')],
  };
  const next = { since: 2, epoch: 'B', startedBy: 'EPOCH_MISMATCH', frames: framesUpTo('B', 3, 10) };
  const told = verifyDelivery([cut, next], framesIn, LOG);
  assert.equal(told.problems.length, 0, told.problems.join('\n'));
  const afterReset = verifyDelivery([cut, { ...next, startedBy: '4011' }], framesIn, LOG);
  assert.equal(afterReset.lost, 1, 'a 4011 closes between entries: half a block is a loss');
  const wrongStart = { ...cut, frames: [...framesUpTo('A', 1, 4), frame('A', 5, 'b')] };
  assert.ok(
    verifyDelivery([wrongStart, next], framesIn, LOG).lost > 0,
    'what arrived must be the block’s start',
  );
});
