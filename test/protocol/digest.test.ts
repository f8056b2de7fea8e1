import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockDigest, canonicalJson } from '@blockcast/protocol';
import { fixture } from '../support/fixtures.js';

test('canonical JSON sorts keys at every level and keeps array order', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }),
    '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
  );
});

test('canonical JSON of a real transaction parses back to the same value', () => {
  const tx = fixture<Record<string, unknown>>('bigchaindb-2/tx-create.json');
  assert.deepEqual(JSON.parse(canonicalJson(tx)), tx);
});

test('canonical JSON drops undefined fields and writes undefined array items as null, like JSON.stringify', () => {
  const value = { a: undefined, b: [1, undefined, 'x'], c: 'é"\\' };
  assert.equal(canonicalJson(value), JSON.stringify({ b: [1, null, 'x'], c: 'é"\\' }));
});

test('the block digest is a SHA-256 hex string that changes with any value', () => {
  const digest = blockDigest({ height: 1, transactions: [] });
  assert.match(digest, /^[0-9a-f]{64}$/);
  assert.notEqual(blockDigest({ height: 2, transactions: [] }), digest);
  assert.equal(blockDigest({ transactions: [], height: 1 }), digest);
});
