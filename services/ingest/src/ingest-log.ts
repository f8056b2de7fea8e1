import { type EventLog, openEventLog } from '@blockcast/event-log';
import type { IngestConfig } from './config.js';

/**
 * The event log as ingest's config describes it (Redis, or in memory for `npm start`): one place,
 * so the process, `npm start` and the tests append through the same settings.
 */
export function openIngestLog(config: IngestConfig, onRedisError?: (error: unknown) => void): EventLog {
  return openEventLog({
    ...(config.redis === undefined ? {} : { redis: config.redis }),
    prefix: config.streamPrefix,
    retainBlocks: config.retainBlocks,
    firstHeight: config.firstHeight,
    // The body holds the content, so the body limit bounds it; the log's own check is the backstop.
    maxEventBytes: config.events.maxBodyBytes,
    maxEventsPerHeight: config.events.maxPerHeight,
    idempotencyWindowMs: config.events.idempotencyWindowSeconds * 1000,
    commandTimeoutMs: config.redisCommandTimeoutMs,
    ...(onRedisError === undefined ? {} : { onRedisError }),
  });
}
