import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, type Env } from '@blockcast/common';
import { loadIngestConfig } from '@blockcast/ingest';

const TOKEN = 'a-token-of-sixteen-or-more';

describe('loadIngestConfig', () => {
  test('defaults: 0.0.0.0:9986, ops on 9987, 8 MiB bodies, 64 KiB events, 1000 events a height, 24 h idempotency, 300 s skew, prefix blockcast:, 100 000 blocks, first height 1, 2 s Redis commands, connection limits, memory log', () => {
    const config = loadIngestConfig({ INGEST_TOKENS: TOKEN });
    assert.deepEqual(config, {
      host: '0.0.0.0',
      port: 9986,
      opsPort: 9987,
      auth: {
        tokens: [TOKEN],
        eventTokens: [],
        hmacSecrets: [],
        hmacMaxSkewSeconds: 300,
        allowNoAuth: false,
      },
      maxBodyBytes: 8 * 1024 * 1024,
      events: { maxBodyBytes: 65_536, maxPerHeight: 1000, idempotencyWindowSeconds: 86_400 },
      redis: undefined,
      streamPrefix: 'blockcast:',
      retainBlocks: 100_000,
      firstHeight: 1,
      redisCommandTimeoutMs: 2000,
      limits: {
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        keepAliveTimeoutMs: 5000,
        maxConnections: 4096,
      },
      logLevel: 'info',
      shutdownGraceMs: 10_000,
      source: 'http',
      follower: undefined,
    });
  });

  test('several tokens and secrets are kept for rotation, and Redis is read from REDIS_URL', () => {
    const config = loadIngestConfig({
      INGEST_TOKENS: `${TOKEN}, ${TOKEN}-next`,
      INGEST_HMAC_SECRETS: 'secret-one-0123456789,secret-two-0123456789',
      REDIS_URL: 'redis://10.0.0.5:6379',
    });
    assert.deepEqual(config.auth.tokens, [TOKEN, `${TOKEN}-next`]);
    assert.deepEqual(config.auth.hmacSecrets, ['secret-one-0123456789', 'secret-two-0123456789']);
    assert.deepEqual(config.redis, { kind: 'url', url: 'redis://10.0.0.5:6379' });
  });

  test('event settings and event-only tokens are read, bad values refused naming the variable', () => {
    const config = loadIngestConfig({
      INGEST_TOKENS: TOKEN,
      INGEST_EVENT_TOKENS: `${TOKEN}-app`,
      INGEST_EVENT_MAX_BYTES: '4096',
      INGEST_EVENTS_PER_HEIGHT: '5',
      INGEST_IDEMPOTENCY_WINDOW_S: '60',
    });
    assert.deepEqual(config.auth.eventTokens, [`${TOKEN}-app`]);
    assert.deepEqual(config.events, { maxBodyBytes: 4096, maxPerHeight: 5, idempotencyWindowSeconds: 60 });
    assertConfigError(
      { INGEST_TOKENS: TOKEN, INGEST_EVENTS_PER_HEIGHT: '0' },
      'INGEST_EVENTS_PER_HEIGHT',
      /./,
    );
    assertConfigError({ INGEST_TOKENS: TOKEN, INGEST_EVENT_MAX_BYTES: 'big' }, 'INGEST_EVENT_MAX_BYTES', /./);
    assertConfigError(
      { INGEST_TOKENS: TOKEN, INGEST_IDEMPOTENCY_WINDOW_S: '-1' },
      'INGEST_IDEMPOTENCY_WINDOW_S',
      /./,
    );
    assertConfigError(
      { INGEST_TOKENS: TOKEN, INGEST_EVENT_TOKENS: 'short' },
      'INGEST_EVENT_TOKENS',
      /at least 16/,
    );
    // Event-only tokens cannot post blocks, so they are not the credentials a blocks ingest needs.
    assertConfigError({ INGEST_EVENT_TOKENS: `${TOKEN}-app` }, 'INGEST_TOKENS', /INGEST_ALLOW_NO_AUTH/);
  });

  test('starting with no credentials is refused unless INGEST_ALLOW_NO_AUTH is true', () => {
    assertConfigError({}, 'INGEST_TOKENS', /INGEST_ALLOW_NO_AUTH/);
    assert.equal(loadIngestConfig({ INGEST_ALLOW_NO_AUTH: 'true' }).auth.allowNoAuth, true);
  });

  test('a token shorter than 16 characters is refused by position, without echoing it', () => {
    const error = assertConfigError(
      { INGEST_TOKENS: `${TOKEN},short-secret` },
      'INGEST_TOKENS',
      /entry 2 is 12/,
    );
    assert.doesNotMatch(error.message, /short-secret/);
    assertConfigError({ INGEST_HMAC_SECRETS: 'tiny' }, 'INGEST_HMAC_SECRETS', /at least 16/);
  });

  const bad: [variable: string, value: string][] = [
    ['INGEST_PORT', 'http'],
    ['INGEST_PORT', '70000'],
    ['INGEST_OPS_PORT', 'ops'],
    ['INGEST_OPS_PORT', '-1'],
    ['INGEST_HMAC_MAX_SKEW_S', '0'],
    ['INGEST_ALLOW_NO_AUTH', 'maybe'],
    ['INGEST_MAX_BODY_BYTES', '12kb'],
    ['INGEST_MAX_BODY_BYTES', '10'],
    ['REDIS_URL', 'http://redis:6379'],
    ['RETAIN_BLOCKS', '0'],
    ['LOG_LEVEL', 'loud'],
    ['BLOCKCAST_FIRST_HEIGHT', '0'],
    ['BLOCKCAST_FIRST_HEIGHT', 'one'],
    ['REDIS_COMMAND_TIMEOUT_MS', '0'],
    ['INGEST_HEADERS_TIMEOUT_MS', '10'],
    ['INGEST_REQUEST_TIMEOUT_MS', 'soon'],
    ['INGEST_KEEP_ALIVE_TIMEOUT_MS', '0'],
    ['INGEST_MAX_CONNECTIONS', '0'],
    ['INGEST_SHUTDOWN_GRACE_MS', '-1'],
  ];
  for (const [variable, value] of bad) {
    test(`${variable}=${value} is a ConfigError naming ${variable}`, () => {
      assertConfigError({ INGEST_TOKENS: TOKEN, [variable]: value }, variable);
    });
  }

  test('INGEST_OPS_PORT equal to INGEST_PORT is a ConfigError; both 0 (free ports) is fine', () => {
    assertConfigError({ INGEST_TOKENS: TOKEN, INGEST_OPS_PORT: '9986' }, 'INGEST_OPS_PORT', /INGEST_PORT/);
    const config = loadIngestConfig({ INGEST_TOKENS: TOKEN, INGEST_PORT: '0', INGEST_OPS_PORT: '0' });
    assert.deepEqual([config.port, config.opsPort], [0, 0]);
  });

  test('the ingest timeouts and limits are read, and a headers timeout above the request timeout is refused', () => {
    const config = loadIngestConfig({
      INGEST_TOKENS: TOKEN,
      BLOCKCAST_FIRST_HEIGHT: '5000',
      REDIS_COMMAND_TIMEOUT_MS: '250',
      INGEST_HEADERS_TIMEOUT_MS: '1000',
      INGEST_REQUEST_TIMEOUT_MS: '2000',
      INGEST_KEEP_ALIVE_TIMEOUT_MS: '300',
      INGEST_MAX_CONNECTIONS: '50',
    });
    assert.deepEqual(
      [config.firstHeight, config.redisCommandTimeoutMs, config.limits],
      [
        5000,
        250,
        { headersTimeoutMs: 1000, requestTimeoutMs: 2000, keepAliveTimeoutMs: 300, maxConnections: 50 },
      ],
    );
    assertConfigError(
      { INGEST_TOKENS: TOKEN, INGEST_HEADERS_TIMEOUT_MS: '5000', INGEST_REQUEST_TIMEOUT_MS: '4000' },
      'INGEST_HEADERS_TIMEOUT_MS',
      /INGEST_REQUEST_TIMEOUT_MS/,
    );
  });

  test('REDIS_SENTINELS without REDIS_SENTINEL_MASTER is a ConfigError naming the master variable', () => {
    assertConfigError({ INGEST_TOKENS: TOKEN, REDIS_SENTINELS: 'a:26379' }, 'REDIS_SENTINEL_MASTER');
  });
});

function assertConfigError(env: Env, variable: string, detail?: RegExp): ConfigError {
  let caught: unknown;
  try {
    loadIngestConfig(env);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.equal(caught.variable, variable);
  assert.ok(caught.message.startsWith(`${variable}:`), caught.message);
  if (detail) assert.match(caught.message, detail);
  return caught;
}
