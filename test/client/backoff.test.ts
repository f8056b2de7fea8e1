/** Full jitter: each delay is drawn from [0, min(cap, base × 2^n)), the range doubling up to the cap. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../../packages/client/src/backoff.js';

test('delays are drawn between 0 and the capped exponential, and reset starts small again', () => {
  const highest = new Backoff({ baseMs: 100, capMs: 1000 }, () => 0.999_999);
  assert.deepEqual(
    Array.from({ length: 6 }, () => highest.next()),
    [99, 199, 399, 799, 999, 999],
  );
  highest.reset();
  assert.equal(highest.next(), 99);
  const lowest = new Backoff({ baseMs: 100, capMs: 1000 }, () => 0);
  assert.equal(lowest.next(), 0, 'full jitter reaches 0: clients cut together do not come back together');
});
