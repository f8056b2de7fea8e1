/**
 * `npm start` is the first thing a newcomer runs: the all-in-one process must come up on a
 * machine without Redis and stream the demo chain's transactions to a client that found the
 * stream through the API root.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startService } from '@blockcast/devkit';
import { runBlockcast } from '../support/blockcast-cli.js';
import { freePort, freePortsFor, SERVICE_PORT_VARIABLES } from '../support/redis.js';
import { RecordingClient } from '../support/ws-client.js';

test(
  'npm start streams demo transactions to a client that discovered the stream',
  { timeout: 60_000 },
  async () => {
    const ports = {
      INGEST_PORT: await freePort(),
      INGEST_OPS_PORT: await freePort(),
      GATEWAY_PORT: await freePort(),
      GATEWAY_OPS_PORT: await freePort(),
      DISCOVERY_PORT: await freePort(),
      DISCOVERY_OPS_PORT: await freePort(),
    };
    const all = startService('all', {
      env: {
        ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
        ADVERTISED_STREAMS_HOST: '127.0.0.1',
        ADVERTISED_STREAMS_PORT: String(ports.GATEWAY_PORT),
        DEMO_INTERVAL_MS: '200',
        DEMO_MAX_TRANSACTIONS: '3',
        REDIS_URL: '',
        INGEST_TOKENS: '',
      },
    });
    try {
      await all.waitForOutput(/blockcast is running \(embedded memory log/);
      const root = (await (await fetch(`http://127.0.0.1:${ports.DISCOVERY_PORT}/api/v1/`)).json()) as {
        streams: string;
      };
      const client = await RecordingClient.connect(root.streams);
      await client.waitForFrames(3, 30_000);
      for (const frame of client.frames.slice(0, 3)) {
        assert.match(
          frame,
          /^\{"height": \d+, "asset_id": "[0-9a-f]{64}", "transaction_id": "[0-9a-f]{64}"\}$/,
        );
      }
      await client.close();
      // Resume works on the embedded memory log as on Redis: from block 1, every block once, in order.
      // The epoch from a 101 answer now that blocks exist, as a Node client may take it.
      const probe = await RecordingClient.connect(root.streams);
      const epoch = probe.upgradeHeaders['x-blockcast-epoch'];
      await probe.close();
      assert.equal(typeof epoch, 'string', 'the 101 answer names the epoch');
      const blocks = await RecordingClient.connect(
        root.streams.replace(/valid_transactions$/, `valid_blocks?since=0&epoch=${epoch}`),
      );
      await blocks.waitForFrames(4, 30_000);
      const heights = blocks.heights();
      assert.deepEqual(
        heights,
        heights.map((_, i) => i + 1),
      );
      await blocks.close();
      // `npm run watch` is the CLI's tail: from a position in that epoch, piped, as JSON lines.
      const watched = await runBlockcast(
        [
          'run',
          '--silent',
          'watch',
          '--',
          'valid_blocks',
          '--since',
          '3',
          '--epoch',
          epoch as string,
          '-c',
          '2',
        ],
        { env: { BLOCKCAST_API_ROOT: `http://127.0.0.1:${ports.DISCOVERY_PORT}/api/v1/` }, command: 'npm' },
      );
      assert.equal(watched.code, 0, watched.stderr);
      assert.deepEqual(
        watched.lines().map((line) => JSON.parse(line).height),
        [4, 5],
      );
    } finally {
      assert.equal(await all.stop(), 0, `npm start exits cleanly on SIGTERM:\n${all.output()}`);
    }
  },
);

test(
  'npm start on other ports advertises the gateway port it listens on, and a second one on that port fails naming it',
  { timeout: 60_000 },
  async () => {
    const ports = await freePortsFor(SERVICE_PORT_VARIABLES);
    const quiet = { DEMO_CHAIN: 'false', REDIS_URL: '', INGEST_TOKENS: '' };
    const first = startService('all', { env: { ...ports, ...quiet } });
    try {
      await first.waitForOutput(/blockcast is running/);
      const root = (await (await fetch(`http://127.0.0.1:${ports.DISCOVERY_PORT}/api/v1/`)).json()) as {
        streams: string;
      };
      assert.equal(new URL(root.streams).port, ports.GATEWAY_PORT);
      assert.match(
        first.output(),
        new RegExp(
          `npx blockcast tail valid_transactions --api-root http://[^/]+:${ports.DISCOVERY_PORT}/api/v1/\n`,
        ),
      );

      const second = startService('all', {
        env: { ...(await freePortsFor(SERVICE_PORT_VARIABLES)), GATEWAY_PORT: ports.GATEWAY_PORT!, ...quiet },
      });
      assert.equal(await second.exited, 1, `the second npm start must fail:\n${second.output()}`);
      assert.match(second.output(), new RegExp(`cannot listen on [^\\s]+:${ports.GATEWAY_PORT}`));
    } finally {
      assert.equal(await first.stop(), 0, `npm start exits cleanly on SIGTERM:\n${first.output()}`);
    }
  },
);
