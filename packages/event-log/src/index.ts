export type { TrimMode } from './append-script.js';
export * from './event-log.js';
export * from './log-reset-error.js';
export * from './memory-log.js';
export * from './open-event-log.js';
export * from './redis-connection.js';
export * from './redis-consumer-group.js';
export * from './redis-stream-log.js';
export * from './replica-acks.js';
