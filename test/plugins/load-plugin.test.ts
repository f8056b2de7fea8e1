/** The checks a module passes before it runs as a plugin: a run() function and a usable eventTypes mask. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadPlugin } from '../../services/plugins/src/runner/load-plugin.js';

/** A plugin module exporting this mask, as source in a data: URL. */
const withMask = (mask: string) =>
  `data:text/javascript,export const eventTypes = ${encodeURIComponent(mask)}; export async function run() {}`;

test('a mask of one or more known types is accepted, -1 (every type) included', async () => {
  for (const [mask, value] of [
    ['1', 1],
    ['1 | 2', 3],
    ['4', 4],
    ['-1', -1],
    ['-2', -2],
  ] as const) {
    assert.equal((await loadPlugin('ok', withMask(mask))).eventTypes, value, mask);
  }
});

test('a mask outside 32 bits is refused rather than wrapped onto other types', async () => {
  // 2^32 + 1 would select BLOCK_VALID, 2^32 + 4 NODE_STATUS, 2^32 - 1 every type.
  for (const mask of ['4294967297', '4294967300', '4294967295', '2147483648', '-4294967295', '2 ** 53']) {
    await assert.rejects(
      loadPlugin('wide', withMask(mask)),
      /plugin "wide" .* exports eventTypes -?\d+: expected a 32-bit bit mask/,
      mask,
    );
  }
});

test('a mask that selects no known type, or no number, is refused', async () => {
  for (const mask of ['0', '1024', '1.5', '"1"', 'NaN']) {
    await assert.rejects(loadPlugin('none', withMask(mask)), /plugin "none" .* exports eventTypes/, mask);
  }
});
