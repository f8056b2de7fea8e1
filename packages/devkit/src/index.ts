export * from './blocks.js';
export * from './demo-ledger.js';
export * from './key-prefix.js';
export * from './rabbitmq-server.js';
export * from './redis-server.js';
export * from './service-process.js';
export * from './transaction-factory.js';
export * from './wait-until.js';
