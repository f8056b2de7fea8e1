/**
 * The part of the protocol a client needs — close codes, refusals, streams, parameters,
 * positions, event types — with no Node-only import, so the browser SDK can bundle it.
 */
export * from './backoff.js';
export * from './close-codes.js';
export * from './event-types.js';
export type * from './generic-event.js';
export * from './position.js';
export * from './stream-parameters.js';
export * from './streams.js';
export * from './upgrade-errors.js';
