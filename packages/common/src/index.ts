export * from './abortable.js';
export * from './env-config.js';
export * from './logger.js';
export * from './metrics.js';
export * from './ops-server.js';
export * from './redis-target.js';
export * from './shared-config.js';
export * from './shutdown.js';
