/**
 * Baseline (a) of bench/scenarios/gateway-fanout.bench.ts: the limit. The same uWebSockets.js package as the
 * gateway with the gateway's socket settings, one topic, and nothing else: each block's frames
 * arrive over IPC already serialised and are published in order. Several processes share the
 * port (SO_REUSEPORT, uWS's default), like gateways.
 *
 *   BENCH_PORT=9985 node --import tsx bench/servers/raw-uws-server.ts   (driven over IPC)
 *
 * BENCH_KEEP_IDLE=1 turns off the idle timeout and its pings: a client that stops reading is
 * kept, as the gateway keeps one until its stall limit, so a slow-consumer run compares like for like.
 */
import uWS, { type us_listen_socket } from 'uWebSockets.js';
import type { BaselineBlock, BaselineMessage } from '../harness/messages.js';

const TOPIC = 'valid_transactions';
const port = Number(process.env.BENCH_PORT ?? 0);
const keepIdle = process.env.BENCH_KEEP_IDLE === '1';

type ListenWithHostAndOptions = {
  listen(host: string, port: number, options: number, cb: (socket: us_listen_socket | false) => void): void;
};

const app = uWS.App();
app.ws('/*', {
  compression: uWS.DISABLED,
  maxPayloadLength: 256 * 1024,
  maxBackpressure: 4 * 1024 * 1024,
  closeOnBackpressureLimit: 1,
  idleTimeout: keepIdle ? 0 : 60,
  sendPingsAutomatically: !keepIdle,
  open: (ws) => {
    ws.subscribe(TOPIC);
  },
});

(app as unknown as ListenWithHostAndOptions).listen('0.0.0.0', port, 0, (socket) => {
  if (!socket) throw new Error(`cannot listen on ${port}`);
  const message: BaselineMessage = { type: 'listening', port: uWS.us_socket_local_port(socket) };
  process.send!(message);
});

process.on('message', (block: BaselineBlock) => {
  for (const frame of block.frames) app.publish(TOPIC, frame, false, false);
});
process.on('disconnect', () => process.exit(0));
