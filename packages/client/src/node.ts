/**
 * `@blockcast/client` on Node: the same API, over `ws` (headers, refusal bodies, a socket that
 * pauses while the application is slow), plus `FilePositionStore`.
 */
import { BlockcastClient as Client, type ClientOptions } from './client.js';
import { WsTransport } from './ws-transport.js';

export { FilePositionStore, writeAtomically } from './file-position-store.js';
export * from './index.js';
export { WsTransport } from './ws-transport.js';

export class BlockcastClient extends Client {
  constructor(options: ClientOptions) {
    super(options, () => new WsTransport());
  }
}
