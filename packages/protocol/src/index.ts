export * from './block-event.js';
export * from './close-codes.js';
export * from './digest.js';
export * from './event-types.js';
export * from './frames.js';
export * from './normalise.js';
export * from './streams.js';
export * from './transaction.js';
