/**
 * Every refusal of architecture §5: the status, a JSON error naming the problem, and — after each one —
 * a Redis stream exactly as it was (XLEN and XRANGE through a separate client).
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { makeBlock } from '@blockcast/devkit';
import type { CommittedBlock } from '@blockcast/protocol';
import { assertError, JSON_WITH_TOKEN, redisSkip, startIngest, TOKEN } from './ingest-harness.js';

/** Blocks 1 and 2 in the log; block 3 is what comes next. */
async function withTwoBlocks(t: TestContext) {
  const ingest = await startIngest(t, { INGEST_MAX_BODY_BYTES: String(64 * 1024) });
  const committed = [makeBlock(1, 3), makeBlock(2, 3)];
  for (const block of committed) assert.equal((await ingest.post(block)).statusCode, 201);
  const before = await ingest.entries();
  assert.equal(before.length, 2);
  const assertStreamUnchanged = async (): Promise<void> => {
    assert.equal(await ingest.inspector.xlen(ingest.key), 2, 'XLEN unchanged');
    assert.deepEqual(await ingest.entries(), before, 'XRANGE unchanged');
  };
  return { ingest, committed, assertStreamUnchanged };
}

describe('POST /api/v1/blocks refuses bad requests and writes nothing', { skip: redisSkip }, () => {
  function next(): CommittedBlock {
    return makeBlock(3, 2);
  }

  test('malformed JSON is 400 INVALID_JSON with the parser error', async (t) => {
    const { ingest, assertStreamUnchanged } = await withTwoBlocks(t);
    const body = assertError(await ingest.post('{"height": 3, "transactions": [}'), 400, 'INVALID_JSON');
    assert.match(body.message as string, /not valid JSON \(Unexpected token/);
    await assertStreamUnchanged();
  });

  test('an empty body is 400 INVALID_JSON', async (t) => {
    const { ingest, assertStreamUnchanged } = await withTwoBlocks(t);
    const body = assertError(await ingest.post(''), 400, 'INVALID_JSON');
    assert.match(body.message as string, /empty/);
    await assertStreamUnchanged();
  });

  type Block = CommittedBlock & Record<string, unknown>;
  interface Violation {
    name: string;
    mutate(block: Block): void;
    field: string;
    message: RegExp;
  }
  const violations: Violation[] = [
    {
      name: 'a transaction id that is not a string',
      mutate: (b) => Object.assign(b.transactions[0]!, { id: 7 }),
      field: '/transactions/0/id',
      message: /^body\/transactions\/0\/id must be string$/,
    },
    {
      name: 'a transaction id that is not 64 lowercase hex',
      mutate: (b) => Object.assign(b.transactions[1]!, { id: 'ABC' }),
      field: '/transactions/1/id',
      message: /^body\/transactions\/1\/id must match pattern/,
    },
    {
      name: 'a transaction without an operation',
      mutate: (b) => Reflect.deleteProperty(b.transactions[0]!, 'operation'),
      field: '/transactions/0/operation',
      message: /must have required property 'operation'/,
    },
    {
      name: 'a public key that is not a string',
      mutate: (b) => {
        const [output] = b.transactions[0]?.outputs ?? [];
        Object.assign(output!, { public_keys: [42] });
      },
      field: '/transactions/0/outputs/0/public_keys/0',
      message: /must be string/,
    },
    {
      name: 'outputs that are not an array',
      mutate: (b) => Object.assign(b.transactions[0]!, { outputs: 'none' }),
      field: '/transactions/0/outputs',
      message: /must be array,null/,
    },
    {
      name: 'no transactions',
      mutate: (b) => Reflect.deleteProperty(b, 'transactions'),
      field: '/transactions',
      message: /must have required property 'transactions'/,
    },
    {
      name: 'height 0',
      mutate: (b) => Object.assign(b, { height: 0 }),
      field: '/height',
      message: /must be >= 1/,
    },
    {
      name: 'a height sent as a string (no coercion)',
      mutate: (b) => Object.assign(b, { height: '3' }),
      field: '/height',
      message: /must be integer/,
    },
    {
      name: 'an unknown top-level field',
      mutate: (b) => Object.assign(b, { rejects: [] }),
      field: '/rejects',
      message: /rejects is not a field of a block/,
    },
    {
      name: 'a rejected entry without its code',
      mutate: (b) =>
        Object.assign(b, { rejected: [{ transaction: makeBlock(9, 1).transactions[0], log: 'spent' }] }),
      field: '/rejected/0/code',
      message: /must have required property 'code'/,
    },
    {
      name: 'the same transaction twice in one block',
      mutate: (b) => b.transactions.push(b.transactions[0]!),
      field: '/transactions/2/id',
      message: /repeats transaction [0-9a-f]{64} of \/transactions\/0/,
    },
  ];
  for (const { name, mutate, field, message } of violations) {
    test(`schema: ${name} is 400 INVALID_BLOCK naming ${field}`, async (t) => {
      const { ingest, assertStreamUnchanged } = await withTwoBlocks(t);
      const block = next() as Block;
      mutate(block);
      const body = assertError(await ingest.post(block), 400, 'INVALID_BLOCK');
      assert.equal(body.field, field);
      assert.match(body.message as string, message);
      await assertStreamUnchanged();
    });
  }

  test('no credentials is 401 UNAUTHORIZED with WWW-Authenticate', async (t) => {
    const { ingest, assertStreamUnchanged } = await withTwoBlocks(t);
    const response = await ingest.post(next(), { 'content-type': 'application/json' });
    assertError(response, 401, 'UNAUTHORIZED');
    assert.match(String(response.headers['www-authenticate']), /^Bearer realm="blockcast-ingest"/);
    await assertStreamUnchanged();
  });

  test('a wrong token is 401 UNAUTHORIZED, even when it starts with a valid one', async (t) => {
    const { ingest, assertStreamUnchanged } = await withTwoBlocks(t);
    for (const token of ['not-the-ingest-token-at-all', `${TOKEN}x`, TOKEN.slice(0, -1)]) {
      const response = await ingest.post(next(), {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
      });
      assertError(response, 401, 'UNAUTHORIZED');
      assert.ok(response.headers['www-authenticate']);
    }
    await assertStreamUnchanged();
  });

  test('credentials are checked before the body: unauthenticated oversized or non-JSON bodies get 401', async (t) => {
    const { ingest, assertStreamUnchanged } = await withTwoBlocks(t);
    const big = 'x'.repeat(100 * 1024);
    assertError(await ingest.post(big, { 'content-type': 'application/json' }), 401, 'UNAUTHORIZED');
    assertError(await ingest.post(big, { 'content-type': 'text/plain' }), 401, 'UNAUTHORIZED');
    await assertStreamUnchanged();
  });

  test('a gap is 409 HEIGHT_GAP with expected_height', async (t) => {
    const { ingest, assertStreamUnchanged } = await withTwoBlocks(t);
    const body = assertError(await ingest.post(makeBlock(5, 1)), 409, 'HEIGHT_GAP');
    assert.equal(body.expected_height, 3);
    assert.equal(body.height, 5);
    assert.match(body.message as string, /send block 3 first/);
    await assertStreamUnchanged();
  });

  test('different content at a stored height is 409 HEIGHT_CONFLICT with expected_height', async (t) => {
    const { ingest, committed, assertStreamUnchanged } = await withTwoBlocks(t);
    const changed = { ...committed[1]!, hash: 'AB'.repeat(32) };
    const body = assertError(await ingest.post(changed), 409, 'HEIGHT_CONFLICT');
    assert.equal(body.expected_height, 3);
    assert.equal(body.height, 2);
    await assertStreamUnchanged();
  });

  test('a height trimmed from the stream is 409 HEIGHT_BEYOND_RETENTION with expected_height', async (t) => {
    const { ingest, committed } = await withTwoBlocks(t);
    // What retention trimming does to old blocks: block 1 is gone, block 2 is the oldest kept.
    await ingest.inspector.xtrim(ingest.key, 'MINID', '2-0');
    const trimmed = await ingest.entries();
    assert.deepEqual(
      trimmed.map(([id]) => id),
      ['2-0'],
    );
    const body = assertError(await ingest.post(committed[0]!), 409, 'HEIGHT_BEYOND_RETENTION');
    assert.equal(body.expected_height, 3);
    assert.equal(body.height, 1);
    assert.equal(await ingest.inspector.xlen(ingest.key), 1);
    assert.deepEqual(await ingest.entries(), trimmed);
  });

  test('a body over INGEST_MAX_BODY_BYTES is 413 PAYLOAD_TOO_LARGE naming the limit', async (t) => {
    const { ingest, assertStreamUnchanged } = await withTwoBlocks(t);
    // A valid, authenticated block: only its size is wrong.
    const block = makeBlock(3, 100);
    const payload = JSON.stringify(block);
    assert.ok(payload.length > 64 * 1024, `test block is ${payload.length} bytes`);
    const body = assertError(await ingest.post(payload), 413, 'PAYLOAD_TOO_LARGE');
    assert.equal(body.limit_bytes, 64 * 1024);
    assert.match(body.message as string, /INGEST_MAX_BODY_BYTES/);
    await assertStreamUnchanged();
  });

  test('a non-JSON content type is 415 UNSUPPORTED_MEDIA_TYPE', async (t) => {
    const { ingest, assertStreamUnchanged } = await withTwoBlocks(t);
    const payload = JSON.stringify(next());
    const plain = assertError(
      await ingest.post(payload, { ...JSON_WITH_TOKEN, 'content-type': 'text/plain' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    assert.match(plain.message as string, /"text\/plain".*application\/json/);
    const { 'content-type': _, ...withoutType } = JSON_WITH_TOKEN;
    assertError(await ingest.post(payload, withoutType), 415, 'UNSUPPORTED_MEDIA_TYPE');
    await assertStreamUnchanged();
  });

  test('the same block is then accepted once the problem is fixed (the refusals left no trace)', async (t) => {
    const { ingest } = await withTwoBlocks(t);
    const block = next();
    assertError(await ingest.post(block, { 'content-type': 'application/json' }), 401, 'UNAUTHORIZED');
    assert.equal((await ingest.post(block)).statusCode, 201);
    assert.equal(await ingest.inspector.xlen(ingest.key), 3);
  });
});

describe('the first height of an empty stream', { skip: redisSkip }, () => {
  test('an empty stream takes only height 1: 2^53−1 or a stale retry is 409 HEIGHT_GAP expecting 1', async (t) => {
    const ingest = await startIngest(t);
    for (const height of [Number.MAX_SAFE_INTEGER, 2, 57]) {
      const body = assertError(await ingest.post(makeBlock(height, 1)), 409, 'HEIGHT_GAP');
      assert.deepEqual([body.height, body.expected_height], [height, 1]);
    }
    assert.equal(await ingest.inspector.exists(ingest.key, ingest.epochKey), 0, 'nothing written');
    assert.equal((await ingest.post(makeBlock(1, 1))).statusCode, 201);
  });

  test('BLOCKCAST_FIRST_HEIGHT sets the one height an empty stream takes', async (t) => {
    const ingest = await startIngest(t, { BLOCKCAST_FIRST_HEIGHT: '7000' });
    const body = assertError(await ingest.post(makeBlock(1, 1)), 409, 'HEIGHT_GAP');
    assert.equal(body.expected_height, 7000);
    assert.match(body.message as string, /send block 7000 first/);
    assert.equal((await ingest.post(makeBlock(7000, 1))).statusCode, 201);
    assert.equal((await ingest.post(makeBlock(7001, 1))).statusCode, 201);
  });
});

/** Block 3 whose first transaction carries asset data nested `depth` objects deep. */
function nestedBlockBody(depth: number): string {
  const block = makeBlock(3, 2);
  const marker = '"__nested__"';
  const tx = block.transactions[0] as unknown as Record<string, unknown>;
  tx.asset = { data: '__nested__' };
  const nested = `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
  return JSON.stringify(block).replace(marker, nested);
}

describe('hostile bodies are refused before anything is written', { skip: redisSkip }, () => {
  test('asset data nested 5 000 levels deep is 400 JSON_TOO_DEEP naming where, and writes nothing', async (t) => {
    const { ingest, assertStreamUnchanged } = await withTwoBlocks(t);
    const body = assertError(await ingest.post(nestedBlockBody(5000)), 400, 'JSON_TOO_DEEP');
    assert.equal(body.field, '/transactions/0/asset/data');
    assert.equal(body.max_depth, 1000);
    assert.match(body.message as string, /^body\/transactions\/0\/asset\/data nests deeper than 1000 levels/);
    await assertStreamUnchanged();
  });

  test('asset data nested as deep as a node can commit (990 levels) is appended', async (t) => {
    const { ingest } = await withTwoBlocks(t);
    const response = await ingest.post(nestedBlockBody(990));
    assert.equal(response.statusCode, 201, response.body);
  });

  test('a number the log cannot keep exactly is 400 UNSAFE_NUMBER naming its JSON pointer, never stored altered or taken for a duplicate', async (t) => {
    const { ingest, assertStreamUnchanged } = await withTwoBlocks(t);
    const block = makeBlock(3, 1);
    block.transactions[0]!.metadata = { amount: 'AMOUNT' };
    const text = JSON.stringify(block);
    for (const number of ['18446744073709551616', '18446744073709551617', '9007199254740993', '1e400']) {
      const body = assertError(await ingest.post(text.replace('"AMOUNT"', number)), 400, 'UNSAFE_NUMBER');
      assert.equal(body.field, '/transactions/0/metadata/amount', number);
    }
    const height = assertError(
      await ingest.post(text.replace('"height":3', '"height":18446744073709551619')),
      400,
      'UNSAFE_NUMBER',
    );
    assert.equal(height.field, '/height');
    await assertStreamUnchanged();
    assert.equal((await ingest.post(text.replace('"AMOUNT"', '9007199254740991'))).statusCode, 201);
  });

  test('invalid UTF-8 is 400 INVALID_UTF8, and the same block with other bad bytes is refused too, never a duplicate', async (t) => {
    const { ingest, assertStreamUnchanged } = await withTwoBlocks(t);
    const text = JSON.stringify({ ...makeBlock(3, 1), hash: 'XXXX' });
    const at = Buffer.from(text).indexOf('XXXX');
    for (const bad of [
      [0xff, 0xfe],
      [0xc3, 0x28],
      [0xed, 0xa0, 0x80],
    ]) {
      const bytes = Buffer.from(text);
      Buffer.from(bad).copy(bytes, at);
      const body = assertError(await ingest.post(bytes), 400, 'INVALID_UTF8');
      assert.match(body.message as string, /not valid UTF-8/);
    }
    await assertStreamUnchanged();
    assert.equal((await ingest.post(text.replace('XXXX', 'é'))).statusCode, 201);
  });
});
