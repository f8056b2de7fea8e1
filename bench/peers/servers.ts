/**
 * Every server bench/peers-compare.ts compares, started the same way: the blockcast gateway and
 * the two baselines as bench/gateway-servers.ts starts them, and the peers from bench/peers/.
 */
import type { CommittedBlock } from '@blockcast/protocol';
import { type ServerOptions, startServer } from '../gateway-servers.js';
import { startCentrifugo } from './centrifugo.js';
import type { PeerServer } from './peer-server.js';
import { startSocketIo } from './socketio.js';

export const PEERS = ['blockcast', 'centrifugo', 'socketio', 'planetmint', 'raw-uws', 'ws'] as const;
export type PeerName = (typeof PEERS)[number];

export interface PeerOptions extends ServerOptions {
  /** The committed blocks behind `events` (Planetmint is fed whole transactions). */
  blocks: CommittedBlock[];
  centrifugoBinary: string;
  /** History a peer keeps for recovery, in frames. */
  historyFrames: number;
}

export async function startPeer(name: PeerName, options: PeerOptions): Promise<PeerServer> {
  switch (name) {
    case 'centrifugo':
      return startCentrifugo({
        ...options,
        binary: options.centrifugoBinary,
        historySize: options.historyFrames,
      });
    case 'socketio':
      return startSocketIo(options);
    case 'planetmint':
      throw new Error('planetmint: bench/peers/planetmint.ts is not merged yet');
    case 'blockcast':
      return {
        ...(await startServer('blockcast', options)),
        clientKind: 'raw',
        collectsGarbageOnSignal: true,
        recovery: 'resume with since (ring, then Redis)',
        resumeQuery: (since) => `?since=${since}`,
      };
    default:
      return {
        ...(await startServer(name, options)),
        clientKind: 'raw',
        collectsGarbageOnSignal: true,
        recovery: undefined,
      };
  }
}
