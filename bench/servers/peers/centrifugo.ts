/**
 * The Centrifugo v6 peer: P nodes of the binary `go install github.com/centrifugal/centrifugo/v6@v6.9.1`
 * builds, each on its own port, sharing the bench's redis-server as their engine (a fresh prefix:
 * a fresh stream, offsets from 1, a new epoch). One namespace with history and forced recovery;
 * clients connect without a token (insecure client mode: the bench measures fan-out, not auth).
 * Every frame is one publication, a block's frames one `/api/batch` call. Its publishes run in
 * parallel: one after another (`"parallel": false`) each waits for its Redis round trip — 27 ms a
 * block with no subscriber, and the publisher held to 1.4 of 5 blocks/s at 2 000 — so a block's
 * frames may be stored in any order among themselves; blocks stay in order (a batch starts when
 * the previous one has returned), and so do the offsets a resuming client names (block h ends at h × K).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, uniquePrefix } from '@blockcast/devkit';
import { killOnExit } from '../../harness/processes.js';
import { CENTRIFUGO_CHANNEL } from '../../loadgen/protocols.js';
import { type ServerOptions, stopChild, waitForHttp200 } from '../servers.js';
import type { PeerServer } from './peer-server.js';

export interface CentrifugoOptions extends ServerOptions {
  /** Path of the centrifugo binary. */
  binary: string;
  /** Publications kept per channel: at least the reconnect storm's depth in frames. */
  historySize: number;
}

const API_KEY = 'bench-api-key';

function config(port: number, redisUrl: string, prefix: string, historySize: number, node: number): object {
  return {
    http_server: { address: '127.0.0.1', port },
    log: { level: 'error' },
    node: { name: `bench-${node}` },
    engine: { type: 'redis', redis: { address: [redisUrl], prefix } },
    client: {
      insecure: true,
      allowed_origins: ['*'],
      // A resuming client may ask for the whole history; the default caps recovery at 300.
      recovery_max_publication_limit: historySize,
      history_max_publication_limit: historySize,
    },
    channel: {
      namespaces: [
        {
          name: CENTRIFUGO_CHANNEL.split(':')[0],
          history_size: historySize,
          history_ttl: '600s',
          force_recovery: true,
          allow_subscribe_for_client: true,
        },
      ],
    },
    http_api: { key: API_KEY },
    // Documented for many connections: pooled write buffers instead of one per idle socket.
    websocket: { use_write_buffer_pool: true },
    health: { enabled: true },
  };
}

export async function startCentrifugo(options: CentrifugoOptions): Promise<PeerServer> {
  const prefix = uniquePrefix('bench-cf');
  const dir = mkdtempSync(join(tmpdir(), 'bench-centrifugo-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  for (let p = 0; p < options.processes; p++) {
    const port = await freePort();
    const file = join(dir, `node-${p}.json`);
    writeFileSync(file, JSON.stringify(config(port, options.redisUrl, prefix, options.historySize, p)));
    const argv = [...options.pin, options.binary, '--config', file];
    // GOMAXPROCS = the one core it is pinned to (Go reads the affinity mask too; said for the record).
    const child = spawn(argv[0]!, argv.slice(1), {
      env: options.pin.length > 0 ? { ...process.env, GOMAXPROCS: '1' } : process.env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    killOnExit(child);
    children.push(child);
    ports.push(port);
    await waitForHttp200(`http://127.0.0.1:${port}/health`, child);
  }
  const api = `http://127.0.0.1:${ports[0]}/api/batch`;
  const bodies = options.frames.map(
    (block) =>
      `{"commands":[${block.map((frame) => `{"publish":{"channel":"${CENTRIFUGO_CHANNEL}","data":${frame}}}`).join(',')}],"parallel":true}`,
  );
  return {
    pids: children.map((child) => child.pid!),
    urls: ports.map((port) => `ws://127.0.0.1:${port}/connection/websocket`),
    clientKind: 'centrifugo',
    collectsGarbageOnSignal: false,
    recovery: 'history recovery (offset + epoch)',
    async deliver(index) {
      const response = await fetch(api, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: bodies[index]!,
      });
      const text = await response.text();
      if (response.status !== 200 || text.includes('"error"'))
        throw new Error(`centrifugo batch ${index}: ${response.status} ${text.slice(0, 200)}`);
    },
    async metrics() {
      return {};
    },
    async stop() {
      await Promise.all(children.map((child) => stopChild(child, 5000)));
      rmSync(dir, { recursive: true, force: true });
      const keys = await options.redis.keys(`${prefix}*`);
      if (keys.length > 0) await options.redis.del(...keys);
    },
  };
}
