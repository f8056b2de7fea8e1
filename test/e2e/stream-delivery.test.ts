/**
 * The whole path with every part in its own process, as deployed: ingest, two gateways and
 * discovery against one real Redis. Clients find the stream through the API root like a
 * BigchainDB client would, half of them on each gateway (as a load balancer would spread them),
 * and must receive exactly the frames of everything ingested: all of it, in order, once.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DemoLedger, type ServiceProcess, startService } from '@blockcast/devkit';
import type { CommittedBlock } from '@blockcast/protocol';
import {
  expectedInvalidTransactions,
  expectedLegacyValidTx,
  expectedValidBlocks,
  expectedValidTransactions,
} from '../support/expected-frames.js';
import { freePort, redisOrSkip, uniquePrefix } from '../support/redis.js';
import { RecordingClient } from '../support/ws-client.js';

const BLOCKS = 300;
const CLIENTS_PER_STREAM = 4;
const STREAMS = ['valid_transactions', 'valid_blocks', 'valid_tx', 'invalid_transactions'] as const;

const available = await redisOrSkip();

for (const profile of ['bigchaindb', 'planetmint'] as const) {
  describe(
    `end to end, ${profile} profile`,
    { ...('skip' in available ? { skip: available.skip } : {}) },
    () => {
      const token = randomBytes(24).toString('hex');
      const services: ServiceProcess[] = [];
      const ports = { ingest: 0, ingestOps: 0, discovery: 0, discoveryOps: 0, gateways: [0, 0], ops: [0, 0] };

      before(async () => {
        if (!('redis' in available)) return;
        const shared = {
          REDIS_URL: available.redis.url,
          BLOCKCAST_STREAM_PREFIX: uniquePrefix(`e2e-${profile}`),
          BLOCKCAST_PROFILE: profile,
          LOG_LEVEL: 'warn',
        };
        ports.ingest = await freePort();
        ports.ingestOps = await freePort();
        ports.discovery = await freePort();
        ports.discoveryOps = await freePort();
        ports.gateways = [await freePort(), await freePort()];
        ports.ops = [await freePort(), await freePort()];
        services.push(
          startService('ingest', {
            env: {
              ...shared,
              INGEST_PORT: String(ports.ingest),
              INGEST_OPS_PORT: String(ports.ingestOps),
              INGEST_HOST: '127.0.0.1',
              INGEST_TOKENS: token,
            },
          }),
          ...ports.gateways.map((port, i) =>
            startService('gateway', {
              name: `gateway-${i + 1}`,
              env: {
                ...shared,
                GATEWAY_HOST: '127.0.0.1',
                GATEWAY_PORT: String(port),
                GATEWAY_OPS_PORT: String(ports.ops[i]),
                GATEWAY_EXCLUSIVE_PORT: 'true',
              },
            }),
          ),
          startService('discovery', {
            env: {
              ...shared,
              DISCOVERY_HOST: '127.0.0.1',
              DISCOVERY_PORT: String(ports.discovery),
              DISCOVERY_OPS_PORT: String(ports.discoveryOps),
              ADVERTISED_STREAMS_HOST: '127.0.0.1',
              ADVERTISED_STREAMS_PORT: String(ports.gateways[0]),
            },
          }),
        );
        await Promise.all([
          services[0]!.waitUntilReady(`http://127.0.0.1:${ports.ingestOps}/readyz`),
          services[1]!.waitUntilReady(`http://127.0.0.1:${ports.ops[0]}/readyz`),
          services[2]!.waitUntilReady(`http://127.0.0.1:${ports.ops[1]}/readyz`),
          services[3]!.waitUntilReady(`http://127.0.0.1:${ports.discoveryOps}/readyz`),
        ]);
      });

      after(async () => {
        const codes = await Promise.all(services.map((service) => service.stop()));
        assert.deepEqual(
          codes,
          codes.map(() => 0),
          'every service exits cleanly on SIGTERM',
        );
      });

      test(`${BLOCKS} blocks reach every client of every stream exactly once, in order`, async () => {
        const root = (await (await fetch(`http://127.0.0.1:${ports.discovery}/api/v1/`)).json()) as {
          streams: string;
        };
        const discovered = new URL(root.streams);
        assert.equal(discovered.pathname, '/api/v1/streams/valid_transactions');
        assert.equal(discovered.port, String(ports.gateways[0]));

        const clients = new Map<string, RecordingClient[]>();
        for (const stream of STREAMS) {
          const list: RecordingClient[] = [];
          for (let i = 0; i < CLIENTS_PER_STREAM; i += 1) {
            const url = new URL(discovered);
            url.pathname = `/api/v1/streams/${stream}`;
            url.port = String(ports.gateways[i % 2]);
            list.push(await RecordingClient.connect(url.toString()));
          }
          clients.set(stream, list);
        }

        const blocks = makeChain(profile === 'planetmint' ? '3.0' : '2.0');
        for (const block of blocks) {
          const response = await fetch(`http://127.0.0.1:${ports.ingest}/api/v1/blocks`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify(block),
          });
          assert.equal(response.status, 201, `block ${block.height}: ${await response.text()}`);
        }

        const expected: Record<(typeof STREAMS)[number], string[]> = {
          valid_transactions: expectedValidTransactions(blocks, profile),
          valid_blocks: expectedValidBlocks(blocks),
          valid_tx: expectedLegacyValidTx(blocks),
          invalid_transactions: expectedInvalidTransactions(blocks),
        };
        for (const stream of STREAMS) {
          const want = expected[stream];
          for (const [i, client] of clients.get(stream)!.entries()) {
            await client.waitForFrames(want.length, 30_000);
            assert.equal(client.frames.length, want.length, `${stream} client ${i}: frame count`);
            assert.deepEqual(client.frames, want, `${stream} client ${i} (gateway ${(i % 2) + 1})`);
          }
        }
        await Promise.all([...clients.values()].flat().map((client) => client.close()));
      });
    },
  );
}

/**
 * 300 blocks of 0–50 transactions; every fifth block also carries rejected transactions. The last
 * block has a valid and a rejected transaction, so it produces a frame on every stream: once it
 * has arrived, an extra or repeated frame from any earlier block would already be visible.
 */
function makeChain(version: '2.0' | '3.0'): CommittedBlock[] {
  const ledger = new DemoLedger({ version, participants: 12 });
  const outsider = new DemoLedger({ version });
  return Array.from({ length: BLOCKS }, (_, i) => {
    const block = ledger.nextBlock(i === BLOCKS - 1 ? 1 : Math.floor(Math.random() * 51));
    if (i % 5 === 0 || i === BLOCKS - 1) {
      block.rejected = outsider.nextBlock(1 + (i % 3)).transactions.map((transaction, j) => ({
        transaction,
        code: 1 + j,
        log: `rejected at ${block.height}: "double spend"`,
      }));
    }
    return block;
  });
}
