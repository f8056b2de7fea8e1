export type { TrimMode } from './append-script.js';
export {
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_EVENTS_PER_HEIGHT,
  IDEMPOTENCY_KEY_RULE,
  isIdempotencyKey,
} from './emit-options.js';
export * from './emit-refused-error.js';
export * from './event-log.js';
export * from './log-reset-error.js';
export * from './memory-log.js';
export * from './open-event-log.js';
export * from './redis-connection.js';
export * from './redis-consumer-group.js';
export * from './redis-stream-log.js';
