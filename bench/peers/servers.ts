/**
 * Every server bench/peers-compare.ts compares, started the same way: the blockcast gateway and
 * the two baselines as bench/gateway-servers.ts starts them, and the peers from bench/peers/.
 */
import { freePort } from '@blockcast/devkit';
import type { CommittedBlock } from '@blockcast/protocol';
import { type ServerOptions, startServer } from '../gateway-servers.js';
import { startCentrifugo } from './centrifugo.js';
import type { PeerServer } from './peer-server.js';
import { startPlanetmintServer } from './planetmint.js';
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
      return startPlanetmint(options);
    case 'blockcast': {
      const server = await startServer('blockcast', options);
      return {
        ...server,
        clientKind: 'raw',
        collectsGarbageOnSignal: true,
        recovery: 'resume with since and epoch (ring, then Redis)',
        resumeQuery: async (since) => `?since=${since}&epoch=${await server.epoch!()}`,
      };
    }
    default:
      return {
        ...(await startServer(name, options)),
        clientKind: 'raw',
        collectsGarbageOnSignal: true,
        recovery: undefined,
      };
  }
}

/** Planetmint's server is one Python process whatever --server-processes says (the node runs one). */
async function startPlanetmint(options: PeerOptions): Promise<PeerServer> {
  const server = await startPlanetmintServer({ port: await freePort(), pin: options.pin });
  return {
    pids: [server.pid],
    urls: [server.url],
    clientKind: 'raw',
    collectsGarbageOnSignal: false,
    recovery: undefined,
    deliver: (index) => {
      const block = options.blocks[index]!;
      return server.publishBlock(block.height, block.transactions as object[]);
    },
    metrics: async () => ({}),
    stop: () => server.stop(),
  };
}
