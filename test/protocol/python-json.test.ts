import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { pythonJson } from '@blockcast/protocol';
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
