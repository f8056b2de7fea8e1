/**
 * The Socket.IO peer: P nodes (bench/servers/peers/socketio-server.ts), one port each (Node 20 has no
 * SO_REUSEPORT for net servers), and a publisher in the driver — a Socket.IO server with the
 * same adapter and no listener, whose `io.emit` XADDs each frame (one event per frame) to the
 * stream every node reads.
 */
import type { ChildProcess } from 'node:child_process';
import { freePort, uniquePrefix } from '@blockcast/devkit';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import type { BaselineMessage } from '../../harness/messages.js';
import { type ServerOptions, spawnNode, stopChild } from '../servers.js';
import type { PeerServer } from './peer-server.js';
import { socketIoOptions } from './socketio-options.js';

export const SOCKET_IO_EVENT = 'frame';

export async function startSocketIo(options: ServerOptions): Promise<PeerServer> {
  const stream = uniquePrefix('bench-sio');
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  for (let p = 0; p < options.processes; p++) {
    const child = spawnNode(
      options,
      'bench/servers/peers/socketio-server.ts',
      { BENCH_PORT: String(await freePort()), BENCH_REDIS_URL: options.redisUrl, BENCH_STREAM: stream },
      true,
    );
    children.push(child);
    const listening = await new Promise<BaselineMessage>((resolve, reject) => {
      child.once('message', (message: BaselineMessage) => resolve(message));
      child.once('exit', (code) => reject(new Error(`socket.io node exited with ${code}`)));
    });
    ports.push(listening.port);
  }
  const redis = new Redis(options.redisUrl);
  const publisher = new Server({
    ...socketIoOptions(),
    adapter: createAdapter(redis, { streamName: stream, maxLen: 100_000 }),
  });
  // Objects, not strings: a client reads `{"height":…}` in the event as it does in every server's frame.
  const objects = options.frames.map((block) => block.map((frame) => JSON.parse(frame) as object));
  return {
    pids: children.map((child) => child.pid!),
    urls: ports.map((port) => `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`),
    clientKind: 'socketio',
    collectsGarbageOnSignal: true,
    recovery: 'connection state recovery',
    async deliver(index) {
      for (const frame of objects[index]!) publisher.emit(SOCKET_IO_EVENT, frame);
    },
    async metrics() {
      return {};
    },
    async stop() {
      // Never attached to an HTTP server, so io.close() has no engine to close: close the adapter (its XREAD loop).
      await publisher.of('/').adapter.close();
      redis.disconnect();
      for (const child of children) child.disconnect();
      await Promise.all(children.map((child) => stopChild(child, 3000)));
      await options.redis.del(stream);
    },
  };
}
