export * from './chain-node.js';
export * from './config.js';
export * from './demo-chain.js';
export * from './demo-ledger.js';
