/** Health, readiness, metrics, an unreachable log, and a graceful close. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type EventLog, RedisStreamLog } from '@blockcast/bus';
import { buildIngestApp, type IngestApp, loadIngestConfig } from '@blockcast/ingest';
import { Redis } from 'ioredis';
import { makeBlock } from '../support/blocks.js';
import { freePort } from '../support/redis.js';
import {
  assertError,
  type IngestHarness,
  JSON_WITH_TOKEN,
  redisSkip,
  startIngest,
  TOKEN,
} from './ingest-harness.js';

/** The value of one sample of the Prometheus text, matched by name and labels. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    if (Object.entries(labels).every(([key, value]) => match[2]?.includes(`${key}="${value}"`)))
      return Number(match[3]);
  }
  return undefined;
}

describe('ops routes and metrics with Redis up', { skip: redisSkip }, () => {
  let ingest: IngestHarness;
  before(async () => {
    ingest = await startIngest();
  });
  after(() => ingest.close());

  test('/healthz and /readyz answer 200 without credentials', async () => {
    const health = await ingest.app.fastify.inject('/healthz');
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok' });
    const ready = await ingest.app.fastify.inject('/readyz');
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready' });
  });

  test('/metrics counts appended, duplicate and refused blocks, conflicts, transactions and latency', async () => {
    await ingest.post(makeBlock(1, 2));
    const block2 = makeBlock(2, 3);
    await ingest.post(block2);
    await ingest.post(block2);
    await ingest.post({ ...block2, hash: null });
    await ingest.post(makeBlock(9, 1));
    await ingest.post('{', JSON_WITH_TOKEN);

    const response = await ingest.app.fastify.inject('/metrics');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const text = response.body;
    assert.equal(sample(text, 'blockcast_ingest_blocks_appended_total'), 2);
    assert.equal(sample(text, 'blockcast_ingest_transactions_appended_total'), 5);
    assert.equal(sample(text, 'blockcast_ingest_last_appended_height'), 2);
    assert.equal(sample(text, 'blockcast_ingest_blocks_duplicate_total'), 1);
    assert.equal(sample(text, 'blockcast_ingest_conflicts_total'), 1);
    assert.equal(sample(text, 'blockcast_ingest_blocks_refused_total', { code: 'HEIGHT_CONFLICT' }), 1);
    assert.equal(sample(text, 'blockcast_ingest_blocks_refused_total', { code: 'HEIGHT_GAP' }), 1);
    assert.equal(sample(text, 'blockcast_ingest_blocks_refused_total', { code: 'INVALID_JSON' }), 1);
    assert.equal(sample(text, 'blockcast_ingest_request_duration_seconds_count', { status: '201' }), 2);
    assert.equal(sample(text, 'blockcast_ingest_request_duration_seconds_count', { status: '409' }), 2);
    assert.ok(
      sample(text, 'blockcast_ingest_process_cpu_seconds_total') !== undefined,
      'default metrics are on',
    );
  });

  test('an unknown route is a 404 JSON error pointing at the blocks route', async () => {
    const error = assertError(await ingest.app.fastify.inject('/api/v1/block'), 404, 'NOT_FOUND');
    assert.match(error.message as string, /POST \/api\/v1\/blocks/);
  });
});

describe('with the event log unreachable', () => {
  let app: IngestApp;
  let redis: Redis;
  before(async () => {
    // Nothing listens on this port, and commands fail at once instead of waiting for a connection.
    redis = new Redis({
      port: await freePort(),
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    const log = new RedisStreamLog({ redis, prefix: 'test:unreachable:' });
    app = buildIngestApp({ config: loadIngestConfig({ INGEST_TOKENS: TOKEN, INGEST_PORT: '0' }), log });
  });
  after(async () => {
    await app.close();
    redis.disconnect();
  });

  test('/readyz is 503 while /healthz stays 200', async () => {
    assert.equal((await app.fastify.inject('/healthz')).statusCode, 200);
    const ready = await app.fastify.inject('/readyz');
    assert.equal(ready.statusCode, 503);
    assert.equal(ready.json().code, 'LOG_UNAVAILABLE');
  });

  test('a valid block is 503 LOG_UNAVAILABLE with Retry-After', async () => {
    const response = await app.fastify.inject({
      method: 'POST',
      url: '/api/v1/blocks',
      headers: JSON_WITH_TOKEN,
      payload: makeBlock(1, 1),
    });
    assertError(response, 503, 'LOG_UNAVAILABLE');
    assert.equal(response.headers['retry-after'], '1');
  });
});

describe('close()', { skip: redisSkip }, () => {
  let ingest: IngestHarness;
  let appendStarted: () => void;
  const started = new Promise<void>((resolve) => {
    appendStarted = resolve;
  });
  before(async () => {
    ingest = await startIngest({}, { wrapLog: (log) => slowAppends(log, 300, () => appendStarted()) });
  });
  after(() => ingest.close());

  test('lets an in-flight append finish and answer, then stops accepting connections', async () => {
    const { url } = await ingest.app.start();
    const post = () =>
      fetch(`${url}/api/v1/blocks`, {
        method: 'POST',
        headers: JSON_WITH_TOKEN,
        body: JSON.stringify(makeBlock(1, 2)),
      });
    const inFlight = post();
    await started;
    const closed = ingest.app.close();
    const response = await inFlight;
    assert.equal(response.status, 201);
    await closed;
    assert.equal(await ingest.inspector.xlen(ingest.key), 1);
    await assert.rejects(post(), /fetch failed/);
  });
});

/** Appends that take `ms` longer, announcing when one starts. */
function slowAppends(log: EventLog, ms: number, onStart: () => void): EventLog {
  return {
    async append(block) {
      onStart();
      await new Promise((resolve) => setTimeout(resolve, ms));
      return log.append(block);
    },
    read: (from, limit) => log.read(from, limit),
    tail: (options) => log.tail(options),
    bounds: () => log.bounds(),
    ping: () => log.ping(),
    close: () => log.close(),
  };
}
