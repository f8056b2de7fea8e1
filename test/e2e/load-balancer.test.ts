/**
 * A rolling restart behind a real load balancer: HAProxy (Debian's package) in front of three
 * gateway processes, checking each one's /readyz and configured with the WebSocket timeouts
 * docs/operations.md gives operators. A few hundred clients find the stream through discovery and
 * connect through HAProxy; blocks flow through ingest at a steady pace while every gateway in turn
 * is drained (SIGTERM) and started again. Clients reconnect through HAProxy with the position their
 * close frame names, and each must end with every frame of every block exactly once, in order.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { CommittedBlock } from '@blockcast/protocol';
import { BlockFeed } from '../support/block-feed.js';
import {
  expectedEvents,
  expectedValidBlocks,
  expectedValidTransactions,
} from '../support/expected-frames.js';
import {
  HAPROXY_GATEWAY_BACKEND,
  HAPROXY_WEBSOCKET_DEFAULTS,
  type HaproxyProcess,
  haproxyInstalled,
  startHaproxy,
} from '../support/haproxy.js';
import { freePort, redisOrSkip } from '../support/redis.js';
import { ResumingClient } from '../support/resuming-client.js';
import { assertSameFrames } from '../support/same-frames.js';
import { type ServiceStack, startServiceStack } from '../support/service-stack.js';
import { missing } from '../support/test-dependencies.js';

const CLIENTS_PER_STREAM = 100;
/** Each stream's path and its frames, derived from the posted blocks independently of blockcast. */
const STREAMS: Record<string, (blocks: CommittedBlock[]) => string[]> = {
  valid_transactions: (blocks) => expectedValidTransactions(blocks, 'bigchaindb'),
  valid_blocks: expectedValidBlocks,
  events: (blocks) => expectedEvents(blocks, -1),
};
const BLOCK_INTERVAL_MS = 50;
const BLOCKS_BETWEEN_DRAINS = 20;
const CHECK_INTERVAL_MS = 200;
const CHECK_FALL = 2;
/** Above HAProxy's inter × fall, as docs/operations.md requires, so it stops routing here first. */
const DRAIN_DELAY_MS = 1000;

const available = await redisOrSkip();
const skip =
  'skip' in available
    ? available.skip
    : haproxyInstalled()
      ? false
      : missing('haproxy', 'apt-get install -y haproxy').skip;

describe('behind HAProxy', { skip }, () => {
  let stack: ServiceStack;
  let haproxy: HaproxyProcess;
  const clients: ResumingClient[] = [];

  before(
    async () => {
      if (!('redis' in available)) return;
      const port = await freePort();
      stack = await startServiceStack({
        redisUrl: available.redis.url,
        label: 'e2e-lb',
        gateways: 3,
        advertisedStreamsPort: port,
        gatewayEnv: {
          GATEWAY_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
          GATEWAY_DRAIN_RATE: '300',
          GATEWAY_SHUTDOWN_GRACE_MS: '15000',
        },
      });
      haproxy = await startHaproxy({
        port,
        servers: stack.gateways.map(({ name, port, opsPort }) => ({ name, port, opsPort })),
        checkIntervalMs: CHECK_INTERVAL_MS,
        fall: CHECK_FALL,
      });
      for (const gateway of stack.gateways) await haproxy.waitForState(gateway.name, 'UP');
    },
    { timeout: 60_000 },
  );

  after(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await haproxy?.stop();
    const codes = await stack?.stop();
    if ('redis' in available) await available.redis.stop();
    assert.deepEqual(codes, [0, 0, 0, 0, 0], 'every service exits cleanly on SIGTERM');
  });

  test('docs/operations.md gives operators the timeouts and checks this HAProxy runs with', () => {
    const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    const lines = new Set(doc.split('\n').map((line) => line.trim()));
    for (const line of [...HAPROXY_WEBSOCKET_DEFAULTS, ...HAPROXY_GATEWAY_BACKEND])
      assert.ok(lines.has(line), `docs/operations.md has the HAProxy line "${line}"`);
    assert.match(doc, /default-server inter 2s fall 2 rise 2/);
    assert.ok(DRAIN_DELAY_MS > CHECK_INTERVAL_MS * CHECK_FALL, 'the drain delay outlasts inter × fall');
  });

  test(
    `${CLIENTS_PER_STREAM * 3} clients keep every event exactly once through a rolling restart of every gateway`,
    { timeout: 90_000 },
    async (t) => {
      const root = (await (await fetch(`${stack.discovery.url}/api/v1/`)).json()) as { streams: string };
      const discovered = new URL(root.streams);
      assert.equal(discovered.port, String(haproxy.port), 'discovery advertises the load balancer');

      const feed = new BlockFeed({ post: stack.post, firstHeight: 1, intervalMs: BLOCK_INTERVAL_MS });
      for (let i = 0; i < 3; i += 1) await feed.postNext();
      // The documented rule: the epoch from the catalog before the first connection.
      const { epoch } = (await (await fetch(`${stack.discovery.url}/api/v1/streams`)).json()) as {
        epoch: string;
      };
      const byStream = new Map<string, ResumingClient[]>();
      for (const stream of Object.keys(STREAMS)) {
        const url = new URL(discovered);
        url.pathname = `/api/v1/streams/${stream}`;
        const list = Array.from(
          { length: CLIENTS_PER_STREAM },
          () => new ResumingClient({ url: url.toString(), since: 0, epoch }),
        );
        byStream.set(stream, list);
        clients.push(...list);
      }
      await Promise.all(clients.map((client) => client.start()));
      const closeCount = () => clients.reduce((total, client) => total + client.closes.length, 0);
      feed.start();

      for (const [i, gateway] of stack.gateways.entries()) {
        // Each drain falls in the middle of the stream: blocks flowing before and after it.
        await feed.postedMore(BLOCKS_BETWEEN_DRAINS);
        const held = await openConnections(gateway.opsPort);
        assert.ok(held > 0, `${gateway.name} holds clients before its drain (leastconn spreads them)`);
        const closesBefore = closeCount();
        const stopped = stack.stopGateway(i);
        await haproxy.waitForState(gateway.name, 'DOWN', DRAIN_DELAY_MS + 2000);
        assert.equal(
          closeCount(),
          closesBefore,
          `HAProxy took ${gateway.name} out before it closed a socket`,
        );
        assert.equal(await stopped, 0, `${gateway.name} drains and exits 0`);
        await stack.startGateway(i);
        await haproxy.waitForState(gateway.name, 'UP');
      }
      await feed.postedMore(BLOCKS_BETWEEN_DRAINS);
      const blocks = await feed.stop();

      for (const [stream, list] of byStream) {
        const want = STREAMS[stream]!(blocks);
        for (const [i, client] of list.entries()) {
          await client.settle(want.length, 30_000);
          assertSameFrames(client.frames, want, `${stream} client ${i}`);
        }
      }
      const undrained = clients.filter((client) => client.closes.length === 0).length;
      assert.equal(undrained, 0, 'every client was on a gateway that drained, at least once');
      const closes = clients.flatMap((client) => client.closes);
      const unpositioned = closes.filter(
        (closed) => closed.code !== 1001 || !/^draining; since=\d+; epoch=[^;]+/.test(closed.reason),
      );
      assert.deepEqual(
        unpositioned.slice(0, 3),
        [],
        'every close came through HAProxy as 1001 with a position',
      );
      const refused = clients.reduce((total, client) => total + client.failedAttempts, 0);
      t.diagnostic(`${blocks.length} blocks, ${closes.length} drain closes, ${refused} refused reconnects`);
    },
  );
});

/** Open WebSocket connections a gateway reports, over all streams. */
async function openConnections(opsPort: number): Promise<number> {
  const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  let total = 0;
  for (const match of metrics.matchAll(/^blockcast_gateway_connections\{[^}]*\} (\d+)$/gm))
    total += Number(match[1]);
  return total;
}
