/**
 * `@blockcast/client` for browsers (and any runtime with a global `WebSocket`): nothing here
 * imports a Node module. On Node use `@blockcast/client/node` (the `node` export condition picks
 * it), which adds `ws` and the file position store.
 */
import { BlockcastClient as Client, type ClientOptions } from './client.js';
import { WebSocketTransport } from './web-socket-transport.js';

export type { Fetch, HistoryBounds } from './api-root.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export type { ClientOptions } from './client.js';
export { EmitError, type Emitted } from './emit.js';
export * from './frames.js';
export type { LeapCallback } from './leap.js';
export { MemoryPositionStore, type PositionStore, WebStoragePositionStore } from './position-store.js';
export type { ResumePoint } from './resume-point.js';
export * from './signals.js';
export type {
  StreamEvent,
  StreamParams,
  Subscription,
  SubscriptionEvents,
  SubscriptionOptions,
} from './subscription.js';
export type { Connection, Refusal, Transport, TransportEvents } from './transport.js';
export { WebSocketTransport } from './web-socket-transport.js';

export class BlockcastClient extends Client {
  constructor(options: ClientOptions) {
    super(options, () => new WebSocketTransport());
  }
}
