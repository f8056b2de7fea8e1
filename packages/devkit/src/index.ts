export * from './blocks.js';
export * from './key-prefix.js';
export * from './rabbitmq-server.js';
export * from './redis-server.js';
export * from './runtime-layout.js';
export * from './sentinel-topology.js';
export * from './service-process.js';
export * from './wait-until.js';
