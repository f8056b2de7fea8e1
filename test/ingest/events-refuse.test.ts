/**
 * Every refusal of POST /api/v1/events/<type>: the status, a stable code naming the problem, and —
 * after each one — the stream exactly as it was (XLEN and XRANGE through a separate client) and
 * no idempotency key remembered.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { makeBlock } from '@blockcast/devkit';
import { freePort } from '../support/redis.js';
import { assertError, JSON_WITH_TOKEN, redisSkip, startIngest } from './ingest-harness.js';

const EVENT_TOKEN = 'ingest-event-only-token-0123456';
const valid = { content: { node_id: 'node-1', status: 'up' } };

/** Block 1 and one event in the log; `assertStreamUnchanged` proves a refusal wrote nothing. */
async function withOneBlockAndEvent(t: TestContext, env: Record<string, string> = {}) {
  const ingest = await startIngest(t, {
    INGEST_EVENT_TOKENS: EVENT_TOKEN,
    INGEST_EVENT_MAX_BYTES: String(4096),
    ...env,
  });
  assert.equal((await ingest.post(makeBlock(1, 1))).statusCode, 201);
  assert.equal((await ingest.emit('NODE_STATUS', valid)).statusCode, 201);
  const before = await ingest.entries();
  assert.deepEqual(
    before.map(([id]) => id),
    ['1-0', '1-1'],
  );
  const assertStreamUnchanged = async (): Promise<void> => {
    assert.equal(await ingest.inspector.xlen(ingest.key), 2, 'XLEN unchanged');
    assert.deepEqual(await ingest.entries(), before, 'XRANGE unchanged');
    assert.deepEqual(await ingest.inspector.keys(`${ingest.key.replace(/blocks$/, '')}emitted:*`), []);
  };
  return { ingest, assertStreamUnchanged };
}

describe('POST /api/v1/events/<type> refuses bad requests and writes nothing', { skip: redisSkip }, () => {
  test('a type not in the catalog is 404 UNKNOWN_EVENT_TYPE naming the types that can be emitted', async (t) => {
    const { ingest, assertStreamUnchanged } = await withOneBlockAndEvent(t);
    for (const type of ['NODE_STATU', 'node_status', 'ALL', '__proto__', 'toString']) {
      const body = assertError(await ingest.emit(type, valid), 404, 'UNKNOWN_EVENT_TYPE');
      assert.match(body.message as string, /NODE_STATUS, APP_MESSAGE/);
      assert.equal(body.known_types, 'NODE_STATUS,APP_MESSAGE');
    }
    await assertStreamUnchanged();
  });

  test('a block-derived type is 400 NOT_AN_EMITTED_TYPE: blocks come from /api/v1/blocks only', async (t) => {
    const { ingest, assertStreamUnchanged } = await withOneBlockAndEvent(t);
    for (const type of ['BLOCK_VALID', 'BLOCK_INVALID']) {
      const body = assertError(await ingest.emit(type, valid), 400, 'NOT_AN_EMITTED_TYPE');
      assert.match(body.message as string, /derived from committed blocks.*\/api\/v1\/blocks/);
    }
    await assertStreamUnchanged();
  });

  const violations: { name: string; type: string; body: unknown; field: string; rule: string }[] = [
    {
      name: 'a missing required field',
      type: 'NODE_STATUS',
      body: { content: { status: 'up' } },
      field: '/content/node_id',
      rule: 'required',
    },
    {
      name: 'a value outside the enum',
      type: 'NODE_STATUS',
      body: { content: { node_id: 'n', status: 'sleeping' } },
      field: '/content/status',
      rule: 'enum',
    },
    {
      name: 'a field the schema does not have',
      type: 'NODE_STATUS',
      body: { content: { node_id: 'n', status: 'up', extra: 1 } },
      field: '/content/extra',
      rule: 'additionalProperties',
    },
    {
      name: 'a wrong type',
      type: 'NODE_STATUS',
      body: { content: { node_id: 'n', status: 'up', height: 1.5 } },
      field: '/content/height',
      rule: 'type',
    },
    {
      name: 'a string too long',
      type: 'APP_MESSAGE',
      body: { content: { topic: 't'.repeat(129), body: 1 } },
      field: '/content/topic',
      rule: 'maxLength',
    },
    {
      name: 'content that is not an object',
      type: 'APP_MESSAGE',
      body: { content: [1, 2] },
      field: '/content',
      rule: 'type',
    },
    { name: 'a body without content', type: 'NODE_STATUS', body: {}, field: '/content', rule: 'required' },
    {
      name: 'a body with another field',
      type: 'NODE_STATUS',
      body: { ...valid, contents: 1 },
      field: '/contents',
      rule: 'additionalProperties',
    },
    { name: 'a body that is not an object', type: 'NODE_STATUS', body: [valid], field: '', rule: 'type' },
    { name: 'a body that is null', type: 'NODE_STATUS', body: 'null', field: '', rule: 'type' },
  ];
  for (const violation of violations) {
    test(`${violation.name} is 400 INVALID_EVENT naming the JSON pointer and the rule`, async (t) => {
      const { ingest, assertStreamUnchanged } = await withOneBlockAndEvent(t);
      const body = assertError(await ingest.emit(violation.type, violation.body), 400, 'INVALID_EVENT');
      assert.deepEqual([body.field, body.rule], [violation.field, violation.rule]);
      assert.ok((body.message as string).startsWith(`body${violation.field} `), body.message as string);
      assert.match(body.message as string, new RegExp(`rule "${violation.rule}"`));
      await assertStreamUnchanged();
    });
  }

  test('bodies that are not JSON, not UTF-8, too deep, too large or of another type are refused as for blocks', async (t) => {
    const { ingest, assertStreamUnchanged } = await withOneBlockAndEvent(t);
    assertError(await ingest.emit('NODE_STATUS', '{"content": {'), 400, 'INVALID_JSON');
    assertError(await ingest.emit('NODE_STATUS', ''), 400, 'INVALID_JSON');
    assertError(
      await ingest.emit(
        'APP_MESSAGE',
        Buffer.from([...Buffer.from('{"content":{"topic":"'), 0xc3, 0x28, ...Buffer.from('","body":1}}')]),
      ),
      400,
      'INVALID_UTF8',
    );
    const deep = `{"content":{"topic":"t","body":${'['.repeat(1200)}${']'.repeat(1200)}}}`;
    assertError(await ingest.emit('APP_MESSAGE', deep), 400, 'JSON_TOO_DEEP');
    const large = assertError(
      await ingest.emit('APP_MESSAGE', { content: { topic: 't', body: 'x'.repeat(4096) } }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    assert.equal(large.limit_bytes, 4096);
    assertError(
      await ingest.emit('NODE_STATUS', JSON.stringify(valid), {
        ...JSON_WITH_TOKEN,
        'content-type': 'text/plain',
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    await assertStreamUnchanged();
  });

  test('without a credential, or with a wrong one, it is 401 UNAUTHORIZED', async (t) => {
    const { ingest, assertStreamUnchanged } = await withOneBlockAndEvent(t);
    const json = { 'content-type': 'application/json' };
    assertError(await ingest.emit('NODE_STATUS', valid, json), 401, 'UNAUTHORIZED');
    assertError(
      await ingest.emit('NODE_STATUS', valid, { ...json, authorization: 'Bearer wrong-token-0123456789' }),
      401,
      'UNAUTHORIZED',
    );
    // Credentials are checked before the type: the catalog is not probed anonymously.
    assertError(await ingest.emit('NO_SUCH_TYPE', valid, json), 401, 'UNAUTHORIZED');
    await assertStreamUnchanged();
  });

  test('an event-only token emits events but cannot post blocks', async (t) => {
    const { ingest } = await withOneBlockAndEvent(t);
    const eventOnly = { 'content-type': 'application/json', authorization: `Bearer ${EVENT_TOKEN}` };
    assertError(await ingest.post(makeBlock(2, 1), eventOnly), 401, 'UNAUTHORIZED');
    assert.equal(await ingest.inspector.xlen(ingest.key), 2, 'no block forged');
    const emitted = await ingest.emit('APP_MESSAGE', { content: { topic: 'app', body: 'hi' } }, eventOnly);
    assert.equal(emitted.statusCode, 201, emitted.body);
    assert.equal(emitted.json().position, '1-2');
  });

  test('a malformed Idempotency-Key is 400 INVALID_IDEMPOTENCY_KEY', async (t) => {
    const { ingest, assertStreamUnchanged } = await withOneBlockAndEvent(t);
    for (const key of ['', 'has space', 'k'.repeat(201), 'ünicode']) {
      const headers = { ...JSON_WITH_TOKEN, 'idempotency-key': key };
      const body = assertError(
        await ingest.emit('NODE_STATUS', valid, headers),
        400,
        'INVALID_IDEMPOTENCY_KEY',
      );
      assert.match(body.message as string, /1 to 200 printable ASCII/);
    }
    await assertStreamUnchanged();
  });

  test('a number the event cannot keep exactly (infinite, an integer beyond 2^53) is 400 UNSAFE_NUMBER naming its JSON pointer', async (t) => {
    const { ingest, assertStreamUnchanged } = await withOneBlockAndEvent(t);
    const cases: [number: string, field: string][] = [
      ['1e400', '/content/body'],
      ['-1e400', '/content/body'],
      ['18446744073709551616', '/content/body/amount'],
      ['9007199254740993', '/content/body/0'],
      ['-9007199254740993', '/content/body/a~1b'],
    ];
    for (const [number, field] of cases) {
      const body = field.endsWith('/amount')
        ? `{"amount": ${number}}`
        : field.endsWith('/0')
          ? `[${number}]`
          : field.endsWith('/a~1b')
            ? `{"a/b": ${number}}`
            : number;
      const refused = assertError(
        await ingest.emit('APP_MESSAGE', `{"content": {"topic": "t", "body": ${body}}}`),
        400,
        'UNSAFE_NUMBER',
      );
      assert.equal(refused.field, field, number);
      assert.match(refused.message as string, new RegExp(`^body${field} `), number);
      assert.match(refused.message as string, /as a string/, number);
    }
    await assertStreamUnchanged();
  });

  test('1e400, 2e400 and null under one Idempotency-Key are not one event: the numbers are refused, null is written', async (t) => {
    const { ingest } = await withOneBlockAndEvent(t);
    const headers = { ...JSON_WITH_TOKEN, 'idempotency-key': 'huge-1' };
    const emit = (body: string) =>
      ingest.emit('APP_MESSAGE', `{"content": {"topic": "t", "body": ${body}}}`, headers);
    assertError(await emit('1e400'), 400, 'UNSAFE_NUMBER');
    assertError(await emit('2e400'), 400, 'UNSAFE_NUMBER');
    assert.equal((await emit('null')).statusCode, 201, 'the first event under the key');
    const other = { ...JSON_WITH_TOKEN, 'idempotency-key': 'huge-2' };
    assertError(
      await ingest.emit('APP_MESSAGE', '{"content": {"topic": "t", "body": 18446744073709551616}}', other),
      400,
      'UNSAFE_NUMBER',
    );
    assertError(
      await ingest.emit('APP_MESSAGE', '{"content": {"topic": "t", "body": 18446744073709551617}}', other),
      400,
      'UNSAFE_NUMBER',
    );
  });

  test('an Idempotency-Key reused with another body is 422 IDEMPOTENCY_CONFLICT naming the original position', async (t) => {
    const { ingest } = await withOneBlockAndEvent(t);
    const headers = { ...JSON_WITH_TOKEN, 'idempotency-key': 'order-42' };
    const first = await ingest.emit('NODE_STATUS', { content: { node_id: 'a', status: 'up' } }, headers);
    assert.equal(first.statusCode, 201);
    const before = await ingest.entries();
    const body = assertError(
      await ingest.emit('NODE_STATUS', { content: { node_id: 'a', status: 'down' } }, headers),
      422,
      'IDEMPOTENCY_CONFLICT',
    );
    assert.equal(body.original_position, '1-2');
    assert.deepEqual(await ingest.entries(), before, 'nothing written');
  });

  test('more events after one block than INGEST_EVENTS_PER_HEIGHT is 429 TOO_MANY_EVENTS_AT_HEIGHT until the next block', async (t) => {
    const { ingest } = await withOneBlockAndEvent(t, { INGEST_EVENTS_PER_HEIGHT: '2' });
    assert.equal((await ingest.emit('NODE_STATUS', valid)).statusCode, 201);
    const before = await ingest.entries();
    const refused = await ingest.emit('NODE_STATUS', valid);
    const body = assertError(refused, 429, 'TOO_MANY_EVENTS_AT_HEIGHT');
    assert.equal(refused.headers['retry-after'], '1');
    assert.deepEqual([body.height, body.limit], [1, 2]);
    assert.match(body.message as string, /retry after the next block/);
    assert.deepEqual(await ingest.entries(), before, 'nothing written');
    assert.equal((await ingest.post(makeBlock(2, 0))).statusCode, 201);
    assert.equal((await ingest.emit('NODE_STATUS', valid)).json().position, '2-1');
  });

  test('another method is 404 NOT_FOUND pointing at the events route, an empty type 404 UNKNOWN_EVENT_TYPE', async (t) => {
    const { ingest, assertStreamUnchanged } = await withOneBlockAndEvent(t);
    const get = await ingest.app.fastify.inject({ method: 'GET', url: '/api/v1/events/NODE_STATUS' });
    const body = assertError(get, 404, 'NOT_FOUND');
    assert.match(body.message as string, /POST \/api\/v1\/events\/<type>/);
    assertError(await ingest.emit('', valid), 404, 'UNKNOWN_EVENT_TYPE');
    await assertStreamUnchanged();
  });
});

describe('POST /api/v1/events/<type> with the event log unreachable', () => {
  test('a valid event is 503 LOG_UNAVAILABLE with Retry-After, telling to resend with the same Idempotency-Key', async (t) => {
    const ingest = await startIngest(t, {
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      REDIS_COMMAND_TIMEOUT_MS: '300',
    });
    const response = await ingest.emit('NODE_STATUS', valid);
    const body = assertError(response, 503, 'LOG_UNAVAILABLE');
    assert.equal(response.headers['retry-after'], '1');
    assert.match(body.message as string, /may or may not have been emitted.*same Idempotency-Key/);
  });
});
