import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AcceptGuard } from '../../services/gateway/src/transport/accept-guard.js';
import { countOpenFiles } from '../../services/gateway/src/transport/open-files.js';

function guardOver(counts: (number | 'exhausted')[]) {
  const changes: boolean[] = [];
  const guard = new AcceptGuard({
    limit: 1000,
    reserve: 128,
    onChange: (paused) => changes.push(paused),
    count: () => counts.shift(),
  });
  return { guard, changes };
}

test('accepting stops when fewer than a quarter of the reserve is free and starts again at half', () => {
  const { guard, changes } = guardOver([900, 968, 969, 950, 937, 936, 990]);
  guard.check(); // 100 free
  guard.check(); // 32 free: still accepting
  assert.equal(guard.paused, false);
  guard.check(); // 31 free
  assert.equal(guard.paused, true);
  guard.check(); // 50 free: not yet
  guard.check(); // 63 free: not yet
  assert.equal(guard.paused, true);
  guard.check(); // 64 free
  assert.equal(guard.paused, false);
  guard.check();
  assert.deepEqual(changes, [true, false, true]);
  guard.stop();
});

test('when not even /proc/self/fd can be opened the descriptors count as exhausted', () => {
  const { guard, changes } = guardOver(['exhausted']);
  guard.check();
  assert.deepEqual(changes, [true]);
  guard.stop();
});

test(
  'spares are held while accepting and handed back when accepting stops',
  { timeout: 10_000 },
  async () => {
    const { guard } = guardOver([]);
    const before = countOpenFiles() as number;
    guard.start();
    assert.equal(countOpenFiles(), before + 32, 'a quarter of the reserve is held open');
    guard.stop();
    assert.equal(countOpenFiles(), before, 'and closed again');
    let paused: () => void = () => {};
    const pausedOnce = new Promise<void>((resolve) => {
      paused = resolve;
    });
    const pausing = new AcceptGuard({
      limit: before + 40,
      reserve: 128,
      onChange: (isPaused) => isPaused && paused(),
    });
    pausing.start();
    await pausedOnce;
    assert.equal(pausing.paused, true, 'with 8 free after the spares it pauses');
    const open = countOpenFiles() as number;
    assert.ok(open < before + 16, `the spares are free for the probes (${open} open, ${before} before)`);
    pausing.stop();
  },
);
