export * from './base58.js';
export * from './demo-chain.js';
export * from './demo-ledger.js';
export * from './transaction-factory.js';
