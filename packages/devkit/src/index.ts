export * from './blocks.js';
export * from './demo-ledger.js';
export * from './key-prefix.js';
export * from './redis-server.js';
export * from './sentinel-topology.js';
export * from './service-process.js';
export * from './transaction-factory.js';
export * from './wait-until.js';
