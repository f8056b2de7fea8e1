export * from './event-log.js';
export * from './memory-log.js';
export * from './redis-stream-log.js';
