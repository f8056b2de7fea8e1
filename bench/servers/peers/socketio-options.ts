/** Server options every Socket.IO node and the publisher share (recovery must be on in both). */
import type { ServerOptions } from 'socket.io';

/** How long a cut client's session (and its missed packets) is kept for it to resume. */
export const MAX_DISCONNECTION_MS = 120_000;

export function socketIoOptions(): Partial<ServerOptions> {
  return {
    transports: ['websocket'],
    serveClient: false,
    perMessageDeflate: false,
    connectionStateRecovery: { maxDisconnectionDuration: MAX_DISCONNECTION_MS, skipMiddlewares: true },
  };
}
