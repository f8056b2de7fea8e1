/** Frame-for-frame equality with a short report: counts, the first difference and its neighbours. */
import assert from 'node:assert/strict';

export function assertSameFrames(
  actual: readonly string[],
  expected: readonly string[],
  what = 'frames',
): void {
  if (actual.length === expected.length && actual.every((frame, i) => frame === expected[i])) return;
  let first = 0;
  while (first < actual.length && first < expected.length && actual[first] === expected[first]) first += 1;
  const around = (list: readonly string[]) =>
    list.slice(Math.max(0, first - 1), first + 2).map((f) => f.slice(0, 90));
  assert.fail(
    `${what}: ${actual.length} received, ${expected.length} expected; first difference at #${first}\n` +
      `  received: ${JSON.stringify(around(actual))}\n  expected: ${JSON.stringify(around(expected))}`,
  );
}
