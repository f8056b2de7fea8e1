export * from './config.js';
export * from './demo-chain.js';
