/** The webhook plugin signs with the scheme ingest verifies: one signature, two places that must agree. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signBody } from '@blockcast/ingest';
import { signBodyWith } from '@blockcast/protocol';

test('signBodyWith gives the X-Blockcast-Signature value ingest computes for the same secret, body and time', () => {
  const body = '{"type": "BLOCK_VALID", "height": 1}';
  assert.equal(
    signBodyWith('a-secret-of-16-chars', body, 1_700_000_000),
    signBody('a-secret-of-16-chars', body, 1_700_000_000),
  );
  assert.match(signBodyWith('s'.repeat(16), body, 42), /^t=42,v1=[0-9a-f]{64}$/);
  assert.notEqual(signBodyWith('s'.repeat(16), body, 42), signBodyWith('s'.repeat(16), body, 43));
});
