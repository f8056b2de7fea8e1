/**
 * The resume rule as the SDK applies it to each frame: a frame delivered before a cut and sent
 * again after it is dropped; the position moves to the block before the one in progress, or to a
 * generic event's own position; a close frame's position replaces it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accept, closedAt, type ResumePoint } from '../../packages/client/src/resume-point.js';

function deliverAll(point: ResumePoint, frames: object[]): { point: ResumePoint; delivered: object[] } {
  const delivered: object[] = [];
  let current = point;
  for (const frame of frames) {
    const verdict = accept(current, frame as never);
    if (!verdict.deliver) continue;
    delivered.push(frame);
    current = verdict.point;
  }
  return { point: current, delivered };
}

const tx = (height: number, id: string) => ({ height, asset_id: id, transaction_id: id });
const start: ResumePoint = { epoch: 'e1', since: '10', delivered: [] };

test('a block cut in part is resumed from the block before, and its delivered frames are dropped', () => {
  const first = deliverAll(start, [tx(11, 'a'), tx(11, 'b'), tx(12, 'c')]);
  assert.deepEqual(
    first.point,
    { epoch: 'e1', since: '11', delivered: ['c'] },
    'since = last height − 1, c held',
  );
  // The resumed connection (since=11) sends block 12 again, whole, then block 13.
  const again = deliverAll(first.point, [tx(12, 'c'), tx(12, 'd'), tx(13, 'e')]);
  assert.deepEqual(again.delivered, [tx(12, 'd'), tx(13, 'e')], 'c dropped, d and e new');
});

test('frames at or below the position are dropped as repeats', () => {
  assert.equal(accept(start, tx(10, 'z') as never).deliver, false);
  assert.equal(accept(start, tx(9, 'y') as never).deliver, false);
  assert.equal(accept(start, tx(11, 'x') as never).deliver, true);
});

test('a generic event moves the position to itself exactly; a block after it starts a new block', () => {
  const event = { type: 'NODE_STATUS', height: 11, seq: 2, content: {} };
  const after = deliverAll(start, [{ type: 'BLOCK_VALID', height: 11, hash: 'h', transactions: [] }, event]);
  assert.equal(after.point.since, '11-2');
  assert.equal(
    accept(after.point, event as never).deliver,
    false,
    'the same generic event again is a repeat',
  );
  assert.equal(
    accept(after.point, { type: 'BLOCK_VALID', height: 11, hash: 'h', transactions: [] } as never).deliver,
    false,
  );
  const next = accept(after.point, { type: 'BLOCK_VALID', height: 12, hash: 'h', transactions: [] } as never);
  assert.ok(next.deliver && next.point.since === '11');
});

test('BLOCK_VALID and BLOCK_INVALID of one height are two frames of one block', () => {
  const valid = { type: 'BLOCK_VALID', height: 11, hash: 'h', transactions: [] };
  const invalid = { type: 'BLOCK_INVALID', height: 11, transactions: [] };
  const both = deliverAll(start, [valid, invalid, valid]);
  assert.deepEqual(both.delivered, [valid, invalid]);
  assert.deepEqual(both.point.delivered, ['BLOCK_VALID', 'BLOCK_INVALID']);
});

test('valid_tx frames (no height) are told apart by txid until a close frame names a position', () => {
  const frame = { txid: 'a', assetid: 'a', blockid: 'H' };
  const once = deliverAll(start, [frame, frame, { txid: 'b', assetid: 'b', blockid: 'H' }]);
  assert.equal(once.delivered.length, 2);
  assert.equal(once.point.since, '10', 'no height: the position stays the last one known');
  assert.deepEqual(closedAt(once.point, '12', 'e1'), { epoch: 'e1', since: '12', delivered: [] });
});
