/**
 * `npm run start:topology` is the production shape on one machine: it must start on the ports
 * the documented variables name, print those, and on Ctrl-C (SIGINT to the terminal's whole
 * process group) let every gateway drain — one signal each, so clients get 1001 and a position.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, freePortsFor, SERVICE_PORT_VARIABLES } from '../support/redis.js';
import { RecordingClient } from '../support/ws-client.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test(
  'start:topology honours every port variable, prints them, and drains its gateways on Ctrl-C',
  { timeout: 120_000 },
  async () => {
    const ports = await freePortsFor(['TOPOLOGY_REDIS_PORT', ...SERVICE_PORT_VARIABLES]);
    // The second gateway's ops port is GATEWAY_OPS_PORT + 1: move it off a port another one took.
    ports.GATEWAY_OPS_PORT = String(await freePortWithFreeSuccessor(new Set(Object.values(ports))));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...ports,
      GATEWAY_DRAIN_DELAY_MS: '0',
      DEMO_INTERVAL_MS: '200',
    };
    delete env.REDIS_URL; // its own redis-server, on TOPOLOGY_REDIS_PORT
    // detached: its own process group, as a terminal runs it, so the group can get Ctrl-C's SIGINT.
    const topology = spawn(process.execPath, ['--import', 'tsx', 'scripts/start-topology.ts'], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    topology.stdout.on('data', (chunk) => {
      output += String(chunk);
    });
    topology.stderr.on('data', (chunk) => {
      output += String(chunk);
    });
    const exited = once(topology, 'exit');
    try {
      await new Promise<void>((resolve, reject) => {
        const check = () => {
          if (output.includes('blockcast topology running')) resolve();
        };
        topology.stdout.on('data', check);
        topology.once('exit', () => reject(new Error(`start:topology exited:\n${output}`)));
      });
      assert.match(output, new RegExp(`API root +http://localhost:${ports.DISCOVERY_PORT}/api/v1/`));
      assert.match(output, new RegExp(`streams +ws://localhost:${ports.GATEWAY_PORT}/api/v1/streams/`));
      assert.match(output, new RegExp(`ingest +http://localhost:${ports.INGEST_PORT}/api/v1/blocks`));
      const gatewayOps = Number(ports.GATEWAY_OPS_PORT);
      for (const port of [
        gatewayOps,
        gatewayOps + 1,
        Number(ports.INGEST_OPS_PORT),
        Number(ports.DISCOVERY_OPS_PORT),
      ]) {
        assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200, `ops port ${port} ready`);
      }

      const root = (await (await fetch(`http://127.0.0.1:${ports.DISCOVERY_PORT}/api/v1/`)).json()) as {
        streams: string;
      };
      assert.equal(new URL(root.streams).port, ports.GATEWAY_PORT);
      // The demo chain posts to INGEST_PORT: blocks arrive.
      const clients = await Promise.all(
        Array.from({ length: 4 }, () =>
          RecordingClient.connect(root.streams.replace('valid_transactions', 'valid_blocks')),
        ),
      );
      await Promise.all(clients.map((client) => client.waitForFrames(2, 30_000)));

      process.kill(-topology.pid!, 'SIGINT');
      const closes = await Promise.all(clients.map((client) => client.closed));
      for (const close of closes) {
        assert.equal(
          close.code,
          1001,
          `a drained gateway closes with 1001, got ${close.code} ${close.reason}`,
        );
        assert.match(close.reason, /since=\d+; epoch=/);
      }
      const [code] = await exited;
      assert.equal(code, 0, output);
    } finally {
      if (topology.exitCode === null) process.kill(-topology.pid!, 'SIGKILL');
    }
  },
);

/** A free port whose next port is free too and neither of which is in `taken`. */
async function freePortWithFreeSuccessor(taken: Set<string>): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (taken.has(String(port)) || taken.has(String(port + 1))) continue;
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port + 1, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
}
