import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { pythonJson, pythonJsonString } from '@blockcast/protocol';
import fc from 'fast-check';
import { fixture } from '../support/fixtures.js';

/** What CPython's json.dumps (the original servers' serialiser) writes for the same value. */
function pythonDumps(values: unknown[]): string[] {
  const script = 'import json,sys\nfor line in sys.stdin:\n    print(json.dumps(json.loads(line)))';
  const run = spawnSync('python3', ['-c', script], {
    input: values.map((v) => JSON.stringify(v)).join('\n'),
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trimEnd().split('\n');
}

test("frames serialise exactly as CPython's json.dumps, spacing, key order and escapes included", () => {
  const samples: unknown[] = [
    { height: 1, asset_id: 'ab', transaction_id: 'cd' },
    { height: 9, asset_ids: ['a', 'b'], transaction_id: 'c' },
    { height: 3, hash: null, transaction_ids: [] },
    { height: 4, transaction_id: 'x', code: -2, reason: 'déjà dépensé — "quoted" \\ \n\t 🙂 \u0001' },
    { type: 'BLOCK_VALID', height: 2, transactions: [{ public_keys: [], nested: { empty: {} } }], ok: true },
    fixture('planetmint/tx-transfers.json'),
  ];
  assert.deepEqual(
    samples.map((value) => pythonJson(value)),
    pythonDumps(samples),
  );
});

test("arbitrary strings — escapes, controls, DEL, non-ASCII, lone surrogates — serialise exactly as CPython's json.dumps", () => {
  const strings = fc.sample(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({
        unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)),
        maxLength: 40,
      }),
      fc.string({
        unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
        maxLength: 20,
      }),
      fc.stringMatching(/^[0-9a-f]{64}$/),
    ),
    { numRuns: 2000, seed: 7 },
  );
  const ours = strings.map((text) => pythonJson(text));
  const python = pythonDumps(strings);
  for (const [i, text] of strings.entries()) assert.equal(ours[i], python[i], `for ${JSON.stringify(text)}`);
});

test('the verbatim fast path writes what the escaping path writes, for every string', () => {
  // The escaping path on its own: JSON's escapes, then \uXXXX for DEL and every code unit past ASCII.
  const escaped = (text: string) =>
    JSON.stringify(text).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  fc.assert(
    fc.property(
      fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-ascii' }), fc.string()),
      (text) => {
        assert.equal(pythonJsonString(text), escaped(text));
      },
    ),
    { numRuns: 5000 },
  );
});
