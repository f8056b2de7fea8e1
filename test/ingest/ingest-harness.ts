/**
 * An ingest app on a real Redis stream (its own key prefix), plus a separate Redis client that
 * looks at the stream directly, so a test can prove what was — and was not — written.
 */
import assert from 'node:assert/strict';
import { after, type TestContext } from 'node:test';
import type { Env } from '@blockcast/common';
import { createRedisClient, type EventLog } from '@blockcast/event-log';
import {
  buildIngestApp,
  type IngestApp,
  type IngestAppOptions,
  loadIngestConfig,
  openIngestLog,
} from '@blockcast/ingest';
import type { LightMyRequestResponse as Response } from 'fastify';
import type { Redis } from 'ioredis';
import { redisOrSkip, uniquePrefix } from '../support/redis.js';

const available = await redisOrSkip();
// A redis-server started for this file keeps the test process alive until it is stopped.
after(() => ('redis' in available ? available.redis.stop() : undefined));

/** Why the Redis suites skip, or false (REQUIRE_REDIS=1 fails instead of skipping). */
export const redisSkip: string | false = 'skip' in available ? available.skip : false;

export const TOKEN = 'ingest-test-token-0123456789';
export const OTHER_TOKEN = 'ingest-rotated-token-abcdef012';
export const SECRET = 'ingest-test-secret-0123456789';
export const OTHER_SECRET = 'ingest-rotated-secret-abcdef01';

export type StreamEntries = [id: string, fields: string[]][];

export interface IngestHarness {
  app: IngestApp;
  log: EventLog;
  /** `<prefix>blocks` */
  key: string;
  /** `<prefix>epoch` */
  epochKey: string;
  /** A client of its own, for XLEN/XRANGE. */
  inspector: Redis;
  /** POST /api/v1/blocks through fastify.inject; objects are sent as JSON, with the test token by default. */
  post(body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** POST /api/v1/events/<type>, sent like post(). */
  emit(type: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  entries(): Promise<StreamEntries>;
  /** Closes the app, then the log; also done after the test. Idempotent. */
  close(): Promise<void>;
}

export const JSON_WITH_TOKEN = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };

/** Env on top of the test defaults: two tokens, two secrets, 127.0.0.1 on free ports. */
export interface HarnessOptions extends Partial<Omit<IngestAppOptions, 'config' | 'log'>> {
  /** Puts something between the app and the Redis log (e.g. a delay). */
  wrapLog?: (log: EventLog) => EventLog;
}

/**
 * Ingest built from env-style config (so tests cover the config path) on a real Redis under a key
 * prefix of its own, with the event log the process would open; closed after the test.
 */
export async function startIngest(
  t: Pick<TestContext, 'after'>,
  env: Env = {},
  options: HarnessOptions = {},
): Promise<IngestHarness> {
  const { wrapLog = (log: EventLog) => log, ...extra } = options;
  // A test may name a Redis of its own (or none that answers); the others get the test Redis.
  const own = env.REDIS_URL ?? env.REDIS_SENTINELS;
  assert.ok(own !== undefined || 'redis' in available, `no Redis: ${redisSkip}`);
  const testUrl = 'redis' in available ? available.redis.url : '';
  const prefix = uniquePrefix('ingest');
  const config = loadIngestConfig({
    INGEST_HOST: '127.0.0.1',
    INGEST_PORT: '0',
    INGEST_OPS_PORT: '0',
    INGEST_TOKENS: `${TOKEN},${OTHER_TOKEN}`,
    INGEST_HMAC_SECRETS: `${SECRET},${OTHER_SECRET}`,
    REDIS_URL: testUrl,
    BLOCKCAST_STREAM_PREFIX: prefix,
    ...env,
  });
  const inner = openIngestLog(config, () => {});
  const log = wrapLog(inner);
  const app = buildIngestApp({ config, log, ...extra });
  // The Redis the config names (a test may point REDIS_URL at a server of its own).
  const inspector = createRedisClient(config.redis ?? { kind: 'url', url: testUrl }, { lazyConnect: true });
  inspector.connect().catch(() => {});
  inspector.on('error', () => {});
  const key = `${prefix}blocks`;
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      await app.close();
      await inner.close();
      if (inspector.status === 'ready') {
        const remembered = await inspector.keys(`${prefix}emitted:*`);
        await inspector.del(key, `${prefix}epoch`, ...remembered);
      }
      inspector.disconnect();
    })();
    return closed;
  };
  t.after(close);
  await app.fastify.ready();
  return {
    app,
    log,
    key,
    epochKey: `${prefix}epoch`,
    inspector,
    post(body, headers = JSON_WITH_TOKEN) {
      return app.fastify.inject({ method: 'POST', url: '/api/v1/blocks', headers, payload: payloadOf(body) });
    },
    emit(type, body, headers = JSON_WITH_TOKEN) {
      const url = `/api/v1/events/${encodeURIComponent(type)}`;
      return app.fastify.inject({ method: 'POST', url, headers, payload: payloadOf(body) });
    },
    async entries() {
      return (await inspector.xrange(key, '-', '+')) as StreamEntries;
    },
    close,
  };
}

function payloadOf(body: unknown): string | Buffer {
  return typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
}

/** The error body every refusal has: a stable code and a message; nothing else is checked here. */
export function assertError(response: Response, status: number, code: string): Record<string, unknown> {
  assert.equal(response.statusCode, status, `status of ${response.body}`);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const body = response.json() as Record<string, unknown>;
  assert.equal(body.code, code, `code of ${response.body}`);
  assert.equal(typeof body.message, 'string');
  assert.ok((body.message as string).length > 20, 'the message says what to do');
  return body;
}
