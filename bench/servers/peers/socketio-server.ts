/**
 * One Socket.IO 4 node for bench/scenarios/peers-compare.bench.ts: websocket transport only, connection state
 * recovery on, `@socket.io/redis-streams-adapter` on the bench's redis-server (every node XREADs
 * the one stream the publisher XADDs to). Clients join the default namespace and get every event.
 *
 *   BENCH_PORT=0 BENCH_REDIS_URL=redis://127.0.0.1:6379 BENCH_STREAM=sio-x \
 *     node --import tsx bench/servers/peers/socketio-server.ts          (driven over IPC)
 */
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import type { BaselineMessage } from '../../harness/messages.js';
import { socketIoOptions } from './socketio-options.js';

const port = Number(process.env.BENCH_PORT ?? 0);
const redis = new Redis(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379');
const http = createServer();
const io = new Server(http, {
  ...socketIoOptions(),
  adapter: createAdapter(redis, { streamName: process.env.BENCH_STREAM ?? 'socket.io', maxLen: 100_000 }),
});

http.listen({ host: '127.0.0.1', port, backlog: 4096 }, () => {
  const address = http.address();
  const message: BaselineMessage = {
    type: 'listening',
    port: typeof address === 'object' && address !== null ? address.port : port,
  };
  process.send!(message);
});

process.on('disconnect', () => {
  void io.close();
  redis.disconnect();
  setTimeout(() => process.exit(0), 500).unref();
});
