import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockDigest, canonicalJson } from '@blockcast/protocol';
import fc from 'fast-check';
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

/** The recursive canonical JSON this package had before (commit 39f70ad), verbatim: the reference. */
function recursiveCanonicalJson(value: unknown): string {
  return appendCanonical('', value);
}

function appendCanonical(out: string, value: unknown): string {
  if (value === null || typeof value !== 'object') return out + (JSON.stringify(value) ?? 'null');
  if (Array.isArray(value)) {
    out += '[';
    for (let i = 0; i < value.length; i += 1) {
      if (i > 0) out += ',';
      out = appendCanonical(out, value[i] === undefined ? null : value[i]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  out += '{';
  let first = true;
  for (const key of keys) {
    const field = record[key];
    if (field === undefined) continue;
    out += first ? JSON.stringify(key) : `,${JSON.stringify(key)}`;
    out = appendCanonical(`${out}:`, field);
    first = false;
  }
  return `${out}}`;
}

function outcome(canonical: (value: unknown) => string, value: unknown): string {
  try {
    return canonical(value);
  } catch (error) {
    return `throws ${(error as Error).name}`;
  }
}

test('canonical JSON equals the recursive reference on random JSON and JS values', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
      assert.equal(canonicalJson(value), recursiveCanonicalJson(value));
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(
      fc.anything({ maxDepth: 5, withBigInt: true, withDate: true, withNullPrototype: true }),
      (value) => {
        assert.equal(outcome(canonicalJson, value), outcome(recursiveCanonicalJson, value));
      },
    ),
    { numRuns: 2000 },
  );
});

test('canonical JSON of 100 000 nested levels does not overflow the stack', () => {
  const depth = 100_000;
  let value: unknown = { leaf: [1] };
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { b: value, a: i } : [value];
  const text = canonicalJson(value);
  assert.ok(text.length > depth);
  assert.throws(() => recursiveCanonicalJson(value), RangeError, 'the recursive form overflows here');
  assert.equal(text.slice(0, 8), '[{"a":99');
});
