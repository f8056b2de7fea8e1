/**
 * Every refusal of architecture §5: the status, a JSON error naming the problem, and — after each one —
 * a Redis stream exactly as it was (XLEN and XRANGE through a separate client).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { makeBlock } from '@blockcast/devkit';
import type { CommittedBlock } from '@blockcast/protocol';
import {
  assertError,
  type IngestHarness,
  JSON_WITH_TOKEN,
  redisSkip,
  type StreamEntries,
  startIngest,
  TOKEN,
} from './ingest-harness.js';

describe('POST /api/v1/blocks refuses bad requests and writes nothing', { skip: redisSkip }, () => {
  let ingest: IngestHarness;
  let committed: CommittedBlock[];
  let before_: StreamEntries;

  before(async () => {
    ingest = await startIngest({ INGEST_MAX_BODY_BYTES: String(64 * 1024) });
  });
  after(() => ingest.close());
  // Blocks 1 and 2 are in the log before every test; block 3 is what comes next.
  beforeEach(async () => {
    await ingest.inspector.del(ingest.key);
    committed = [makeBlock(1, 3), makeBlock(2, 3)];
    for (const block of committed) assert.equal((await ingest.post(block)).statusCode, 201);
    before_ = await ingest.entries();
    assert.equal(before_.length, 2);
  });

  async function assertStreamUnchanged(): Promise<void> {
    assert.equal(await ingest.inspector.xlen(ingest.key), 2, 'XLEN unchanged');
    assert.deepEqual(await ingest.entries(), before_, 'XRANGE unchanged');
  }

  function next(): CommittedBlock {
    return makeBlock(3, 2);
  }

  test('malformed JSON is 400 INVALID_JSON with the parser error', async () => {
    const body = assertError(await ingest.post('{"height": 3, "transactions": [}'), 400, 'INVALID_JSON');
    assert.match(body.message as string, /not valid JSON \(Unexpected token/);
    await assertStreamUnchanged();
  });

  test('an empty body is 400 INVALID_JSON', async () => {
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
    test(`schema: ${name} is 400 INVALID_BLOCK naming ${field}`, async () => {
      const block = next() as Block;
      mutate(block);
      const body = assertError(await ingest.post(block), 400, 'INVALID_BLOCK');
      assert.equal(body.field, field);
      assert.match(body.message as string, message);
      await assertStreamUnchanged();
    });
  }

  test('no credentials is 401 UNAUTHORIZED with WWW-Authenticate', async () => {
    const response = await ingest.post(next(), { 'content-type': 'application/json' });
    assertError(response, 401, 'UNAUTHORIZED');
    assert.match(String(response.headers['www-authenticate']), /^Bearer realm="blockcast-ingest"/);
    await assertStreamUnchanged();
  });

  test('a wrong token is 401 UNAUTHORIZED, even when it starts with a valid one', async () => {
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

  test('credentials are checked before the body: unauthenticated oversized or non-JSON bodies get 401', async () => {
    const big = 'x'.repeat(100 * 1024);
    assertError(await ingest.post(big, { 'content-type': 'application/json' }), 401, 'UNAUTHORIZED');
    assertError(await ingest.post(big, { 'content-type': 'text/plain' }), 401, 'UNAUTHORIZED');
    await assertStreamUnchanged();
  });

  test('a gap is 409 HEIGHT_GAP with expected_height', async () => {
    const body = assertError(await ingest.post(makeBlock(5, 1)), 409, 'HEIGHT_GAP');
    assert.equal(body.expected_height, 3);
    assert.equal(body.height, 5);
    assert.match(body.message as string, /send block 3 first/);
    await assertStreamUnchanged();
  });

  test('different content at a stored height is 409 HEIGHT_CONFLICT with expected_height', async () => {
    const changed = { ...committed[1]!, hash: 'AB'.repeat(32) };
    const body = assertError(await ingest.post(changed), 409, 'HEIGHT_CONFLICT');
    assert.equal(body.expected_height, 3);
    assert.equal(body.height, 2);
    await assertStreamUnchanged();
  });

  test('a height trimmed from the stream is 409 HEIGHT_BEYOND_RETENTION with expected_height', async () => {
    // What retention trimming does to old blocks: block 1 is gone, block 2 is the oldest kept.
    await ingest.inspector.xtrim(ingest.key, 'MINID', '2-0');
    before_ = await ingest.entries();
    assert.deepEqual(
      before_.map(([id]) => id),
      ['2-0'],
    );
    const body = assertError(await ingest.post(committed[0]!), 409, 'HEIGHT_BEYOND_RETENTION');
    assert.equal(body.expected_height, 3);
    assert.equal(body.height, 1);
    assert.equal(await ingest.inspector.xlen(ingest.key), 1);
    assert.deepEqual(await ingest.entries(), before_);
  });

  test('a body over INGEST_MAX_BODY_BYTES is 413 PAYLOAD_TOO_LARGE naming the limit', async () => {
    // A valid, authenticated block: only its size is wrong.
    const block = makeBlock(3, 100);
    const payload = JSON.stringify(block);
    assert.ok(payload.length > 64 * 1024, `test block is ${payload.length} bytes`);
    const body = assertError(await ingest.post(payload), 413, 'PAYLOAD_TOO_LARGE');
    assert.equal(body.limit_bytes, 64 * 1024);
    assert.match(body.message as string, /INGEST_MAX_BODY_BYTES/);
    await assertStreamUnchanged();
  });

  test('a non-JSON content type is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
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

  test('the same block is then accepted once the problem is fixed (the refusals left no trace)', async () => {
    const block = next();
    assertError(await ingest.post(block, { 'content-type': 'application/json' }), 401, 'UNAUTHORIZED');
    assert.equal((await ingest.post(block)).statusCode, 201);
    assert.equal(await ingest.inspector.xlen(ingest.key), 3);
  });
});
