import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL_EVENT_TYPES, EventType, matchesMask } from '@blockcast/protocol';

test('event types are distinct single bits, as in the plugin API (1 valid, 2 invalid)', () => {
  assert.equal(EventType.BLOCK_VALID, 1);
  assert.equal(EventType.BLOCK_INVALID, 2);
  const flags = Object.values(EventType);
  for (const flag of flags) assert.equal(flag & (flag - 1), 0, `${flag} is not a single bit`);
  assert.equal(new Set(flags).size, flags.length);
});

test('a mask selects with event.type & mask; ALL selects every type', () => {
  assert.equal(matchesMask(EventType.BLOCK_VALID, EventType.BLOCK_VALID | EventType.BLOCK_INVALID), true);
  assert.equal(matchesMask(EventType.BLOCK_INVALID, EventType.BLOCK_VALID), false);
  for (const flag of Object.values(EventType)) assert.equal(matchesMask(flag, ALL_EVENT_TYPES), true);
  assert.equal(matchesMask(1 << 20, ALL_EVENT_TYPES), true, 'future types are in ALL too');
});
