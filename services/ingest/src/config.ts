import {
  ConfigError,
  type Env,
  type HttpLimits,
  type LogLevel,
  type RedisTarget,
  readBoolean,
  readFirstHeight,
  readHttpLimits,
  readInteger,
  readList,
  readLogLevel,
  readRedisCommandTimeoutMs,
  readRedisTarget,
  readRetainBlocks,
  readServicePorts,
  readStreamPrefix,
  readString,
} from '@blockcast/common';
import {
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_EVENTS_PER_HEIGHT,
} from '@blockcast/event-log';
import {
  type BlockSource,
  type FollowerConfig,
  readBlockSource,
  readFollowerConfig,
} from './follower/follower-config.js';

/** Everything ingest reads from the environment, parsed and validated once at start. */
export interface IngestConfig {
  /** INGEST_HOST, default `0.0.0.0`. */
  host: string;
  /** INGEST_PORT, default 9986; 0 picks a free port (tests). Only the blocks API. */
  port: number;
  /** INGEST_OPS_PORT, default 9987: `/healthz`, `/readyz`, `/metrics` (architecture §8); 0 picks a free port. */
  opsPort: number;
  auth: IngestAuthConfig;
  /** INGEST_MAX_BODY_BYTES, default 8 MiB: larger bodies are refused with 413. */
  maxBodyBytes: number;
  events: IngestEventsConfig;
  /** REDIS_URL or REDIS_SENTINELS + REDIS_SENTINEL_MASTER; undefined runs on the in-memory log. */
  redis: RedisTarget | undefined;
  /** BLOCKCAST_STREAM_PREFIX, default `blockcast:`; the stream key is `<prefix>blocks`. */
  streamPrefix: string;
  /** RETAIN_BLOCKS, default 100 000. */
  retainBlocks: number;
  /** BLOCKCAST_FIRST_HEIGHT, default 1: the only height an empty stream accepts. */
  firstHeight: number;
  /** REDIS_COMMAND_TIMEOUT_MS, default 2000: an append unanswered this long is a 503. */
  redisCommandTimeoutMs: number;
  /** INGEST_HEADERS_TIMEOUT_MS, INGEST_REQUEST_TIMEOUT_MS, INGEST_KEEP_ALIVE_TIMEOUT_MS, INGEST_MAX_CONNECTIONS. */
  limits: HttpLimits;
  /** LOG_LEVEL, default `info`. */
  logLevel: LogLevel;
  /** INGEST_SHUTDOWN_GRACE_MS, default 10 000: in-flight requests get this long on SIGTERM. */
  shutdownGraceMs: number;
  /** SOURCE, default `http`: `cometbft` follows a node instead of serving POST /api/v1/blocks. */
  source: BlockSource;
  /** COMETBFT_RPC_URL, FOLLOWER_*: set when SOURCE=cometbft. */
  follower: FollowerConfig | undefined;
}

/** `POST /api/v1/events/<type>` (generic events) and the bounds of what emits can do. */
export interface IngestEventsConfig {
  /** INGEST_EVENT_MAX_BYTES, default 65 536: the largest events body (and so `content`); larger is 413. */
  maxBodyBytes: number;
  /** INGEST_EVENTS_PER_HEIGHT, default 1000: events after one block at most; more is 429 until the next block. */
  maxPerHeight: number;
  /** INGEST_IDEMPOTENCY_WINDOW_S, default 86 400 (24 h): how long an Idempotency-Key is remembered. */
  idempotencyWindowSeconds: number;
}

export interface IngestAuthConfig {
  /** INGEST_TOKENS: bearer tokens, several at once so they can be rotated. */
  tokens: string[];
  /** INGEST_EVENT_TOKENS: bearer tokens that may emit generic events but not post blocks (for apps). */
  eventTokens: string[];
  /** INGEST_HMAC_SECRETS: HMAC-SHA256 secrets for `X-Blockcast-Signature`, several for rotation. */
  hmacSecrets: string[];
  /** INGEST_HMAC_MAX_SKEW_S, default 300: older or newer signature timestamps are stale. */
  hmacMaxSkewSeconds: number;
  /** INGEST_ALLOW_NO_AUTH, default false: start without any credential (local development only). */
  allowNoAuth: boolean;
}

export const MIN_CREDENTIAL_LENGTH = 16;

export function loadIngestConfig(env: Env): IngestConfig {
  const source = readBlockSource(env);
  const auth: IngestAuthConfig = {
    tokens: readCredentials(env, 'INGEST_TOKENS'),
    eventTokens: readCredentials(env, 'INGEST_EVENT_TOKENS'),
    hmacSecrets: readCredentials(env, 'INGEST_HMAC_SECRETS'),
    hmacMaxSkewSeconds: readInteger(env, 'INGEST_HMAC_MAX_SKEW_S', 300, { min: 1, max: 86_400 }),
    allowNoAuth: readBoolean(env, 'INGEST_ALLOW_NO_AUTH', false),
  };
  // A follower takes no blocks over HTTP, so it needs no credentials.
  if (source === 'http' && auth.tokens.length === 0 && auth.hmacSecrets.length === 0 && !auth.allowNoAuth) {
    throw new ConfigError(
      'INGEST_TOKENS',
      'no credentials: set INGEST_TOKENS and/or INGEST_HMAC_SECRETS (or INGEST_ALLOW_NO_AUTH=true for local development only)',
    );
  }
  const { port, opsPort } = readServicePorts(env, 'INGEST', { port: 9986, opsPort: 9987 });
  return {
    host: readString(env, 'INGEST_HOST', '0.0.0.0'),
    port,
    opsPort,
    auth,
    maxBodyBytes: readInteger(env, 'INGEST_MAX_BODY_BYTES', 8 * 1024 * 1024, {
      min: 1024,
      max: 1024 * 1024 * 1024,
    }),
    events: {
      maxBodyBytes: readInteger(env, 'INGEST_EVENT_MAX_BYTES', DEFAULT_MAX_EVENT_BYTES, {
        min: 1024,
        max: 16 * 1024 * 1024,
      }),
      maxPerHeight: readInteger(env, 'INGEST_EVENTS_PER_HEIGHT', DEFAULT_MAX_EVENTS_PER_HEIGHT, {
        min: 1,
        max: 1_000_000,
      }),
      idempotencyWindowSeconds: readInteger(
        env,
        'INGEST_IDEMPOTENCY_WINDOW_S',
        DEFAULT_IDEMPOTENCY_WINDOW_MS / 1000,
        { min: 1, max: 30 * 86_400 },
      ),
    },
    redis: readRedisTarget(env),
    streamPrefix: readStreamPrefix(env),
    retainBlocks: readRetainBlocks(env),
    firstHeight: readFirstHeight(env),
    redisCommandTimeoutMs: readRedisCommandTimeoutMs(env),
    limits: readHttpLimits(env, 'INGEST'),
    logLevel: readLogLevel(env),
    shutdownGraceMs: readInteger(env, 'INGEST_SHUTDOWN_GRACE_MS', 10_000, { min: 0 }),
    source,
    follower: source === 'cometbft' ? readFollowerConfig(env) : undefined,
  };
}

/** A comma list of secrets; a short one is refused by position, never echoed. */
function readCredentials(env: Env, name: string): string[] {
  const values = readList(env, name);
  values.forEach((value, index) => {
    if (value.length < MIN_CREDENTIAL_LENGTH) {
      throw new ConfigError(
        name,
        `entry ${index + 1} is ${value.length} characters: use at least ${MIN_CREDENTIAL_LENGTH} (e.g. openssl rand -hex 32)`,
      );
    }
  });
  return values;
}
