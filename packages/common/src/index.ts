export * from './env-config.js';
export * from './logger.js';
export * from './metrics.js';
export * from './ops-server.js';
export * from './redis-options.js';
export * from './shutdown.js';
