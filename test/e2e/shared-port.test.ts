/**
 * The deployment shape on one host: several gateway processes listening on the same port
 * (SO_REUSEPORT), the kernel spreading connections between them. Whichever process a client
 * lands on, it must get every block.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeBlock, type ServiceProcess, startService, waitUntil } from '@blockcast/devkit';
import { RedisStreamLog } from '@blockcast/event-log';
import { normaliseBlock } from '@blockcast/protocol';
import { Redis } from 'ioredis';
import { expectedValidBlocks } from '../support/expected-frames.js';
import { freePort, redisOrSkip, uniquePrefix } from '../support/redis.js';
import { RecordingClient } from '../support/ws-client.js';

const CLIENTS = 24;
const available = await redisOrSkip();
const skip = 'skip' in available ? { skip: available.skip } : {};

const gateways: ServiceProcess[] = [];
let port = 0;
const opsPorts: number[] = [];
const prefix = uniquePrefix('shared-port');

before(async () => {
  if (!('redis' in available)) return;
  port = await freePort();
  for (let i = 0; i < 2; i += 1) {
    opsPorts.push(await freePort());
    gateways.push(
      startService('gateway', {
        name: `gateway-${i + 1}`,
        env: {
          REDIS_URL: available.redis.url,
          BLOCKCAST_STREAM_PREFIX: prefix,
          GATEWAY_HOST: '127.0.0.1',
          GATEWAY_PORT: String(port),
          GATEWAY_OPS_PORT: String(opsPorts[i]),
          LOG_LEVEL: 'warn',
        },
      }),
    );
  }
  await Promise.all(
    gateways.map((gateway, i) => gateway.waitUntilReady(`http://127.0.0.1:${opsPorts[i]}/readyz`)),
  );
});

after(async () => {
  assert.deepEqual(await Promise.all(gateways.map((gateway) => gateway.stop())), [0, 0]);
});

/** Open connections a gateway reports on its metrics endpoint. */
async function connectionsOf(opsPort: number): Promise<number> {
  const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  const match = /blockcast_gateway_connections\{[^}]*stream="valid_blocks"[^}]*\} (\d+)/.exec(metrics);
  return Number(match?.[1] ?? 0);
}

test(
  'two gateway processes share one port and every client gets every block',
  { ...skip, timeout: 60_000 },
  async () => {
    if (!('redis' in available)) return;
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, () =>
        RecordingClient.connect(`ws://127.0.0.1:${port}/api/v1/streams/valid_blocks`),
      ),
    );
    await waitUntil(
      async () => (await connectionsOf(opsPorts[0]!)) + (await connectionsOf(opsPorts[1]!)) === CLIENTS,
      10_000,
      'every connection counted by one of the gateways',
    );
    const perGateway = [await connectionsOf(opsPorts[0]!), await connectionsOf(opsPorts[1]!)];
    // 24 connections all landing on one of two processes has odds of 2^-23: this checks the sharing.
    assert.ok(
      perGateway.every((count) => count > 0),
      `connections per gateway: ${perGateway.join(', ')}`,
    );

    const redis = new Redis(available.redis.url);
    const log = new RedisStreamLog({ redis, prefix });
    const blocks = Array.from({ length: 30 }, (_, i) => makeBlock(i + 1, i % 4));
    for (const block of blocks) await log.append(normaliseBlock(block));
    const want = expectedValidBlocks(blocks);
    for (const client of clients) {
      await client.waitForFrames(want.length);
      assert.deepEqual(client.frames, want);
    }
    await Promise.all(clients.map((client) => client.close()));
    await log.close();
    redis.disconnect();
  },
);
