/**
 * Baseline (b) of bench/scenarios/gateway-fanout.bench.ts: a plain `ws` broadcast server, as in the `ws`
 * README ("broadcast to all connected clients"): for each frame, loop over the clients and
 * send it. The frame is turned into a Buffer once, not once per client. Node 20 has no
 * SO_REUSEPORT for net servers, so several processes listen on consecutive ports instead.
 *
 *   BENCH_PORT=9985 node --import tsx bench/servers/ws-broadcast-server.ts   (driven over IPC)
 */
import { WebSocket, WebSocketServer } from 'ws';
import type { BaselineBlock, BaselineMessage } from '../harness/messages.js';

const port = Number(process.env.BENCH_PORT ?? 0);
const server = new WebSocketServer({ host: '0.0.0.0', port, perMessageDeflate: false, backlog: 4096 });

server.on('listening', () => {
  const address = server.address();
  const message: BaselineMessage = {
    type: 'listening',
    port: typeof address === 'object' && address !== null ? address.port : port,
  };
  process.send!(message);
});

process.on('message', (block: BaselineBlock) => {
  for (const text of block.frames) {
    const frame = Buffer.from(text);
    for (const client of server.clients) {
      if (client.readyState === WebSocket.OPEN) client.send(frame, { binary: false });
    }
  }
});
process.on('disconnect', () => process.exit(0));
