/**
 * The metrics an operator alerts on must agree with the traffic: ingest, two gateways, discovery
 * and a plugin host (the console plugin) as processes on one Redis; blocks posted (some again,
 * some refused), clients on every stream of both gateways, refused upgrades, client closes and
 * discovery requests; then every /metrics is scraped and each counter must equal what was posted,
 * refused, received, taken or closed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { freePort, makeBlock, type ServiceProcess, startService, waitUntil } from '@blockcast/devkit';
import type { CommittedBlock } from '@blockcast/protocol';
import { settledFrames } from '../support/barrier.js';
import { BlockFeed } from '../support/block-feed.js';
import {
  expectedEvents,
  expectedInvalidTransactions,
  expectedLegacyValidTx,
  expectedValidBlocks,
  expectedValidTransactions,
} from '../support/expected-frames.js';
import { Scrape } from '../support/prometheus-text.js';
import { redisOrSkip } from '../support/redis.js';
import { assertSameFrames } from '../support/same-frames.js';
import { type ServiceStack, startServiceStack } from '../support/service-stack.js';
import { RecordingClient, refusedUpgrade } from '../support/ws-client.js';

const BLOCKS = 40;
const CLIENTS_PER_STREAM = 2;
const STREAMS: Record<string, (blocks: CommittedBlock[]) => string[]> = {
  valid_transactions: (blocks) => expectedValidTransactions(blocks, 'bigchaindb'),
  valid_blocks: expectedValidBlocks,
  valid_tx: expectedLegacyValidTx,
  invalid_transactions: expectedInvalidTransactions,
  events: (blocks) => expectedEvents(blocks, -1),
};
/** Client closes per gateway, by the code the client sends. */
const CLIENT_CLOSES = { valid_blocks: 1000, events: 4000 } as const;

const available = await redisOrSkip();

describe('metrics agree with traffic', { skip: 'skip' in available ? available.skip : false }, () => {
  let stack: ServiceStack;
  const clients: { gateway: number; stream: string; client: RecordingClient }[] = [];
  let blocks: CommittedBlock[] = [];
  const scrapes = {
    ingest: undefined as Scrape | undefined,
    discovery: undefined as Scrape | undefined,
    plugins: undefined as Scrape | undefined,
  };
  let pluginHost: { process: ServiceProcess; opsUrl: string } | undefined;
  const gatewayScrapes: Scrape[] = [];

  before(
    async () => {
      if (!('redis' in available)) return;
      stack = await startServiceStack({ redisUrl: available.redis.url, label: 'e2e-metrics', gateways: 2 });
      const pluginOps = await freePort();
      pluginHost = {
        process: startService('plugins', {
          env: {
            REDIS_URL: available.redis.url,
            BLOCKCAST_STREAM_PREFIX: stack.prefix,
            PLUGINS: 'console',
            PLUGINS_START: 'first',
            PLUGINS_HOST: '127.0.0.1',
            PLUGINS_OPS_PORT: String(pluginOps),
            LOG_LEVEL: 'warn',
          },
        }),
        opsUrl: `http://127.0.0.1:${pluginOps}`,
      };
      await pluginHost.process.waitUntilReady(`${pluginHost.opsUrl}/readyz`);
      for (const [gateway, { port }] of stack.gateways.entries()) {
        for (const stream of Object.keys(STREAMS)) {
          for (let i = 0; i < CLIENTS_PER_STREAM; i += 1) {
            const client = await RecordingClient.connect(`ws://127.0.0.1:${port}/api/v1/streams/${stream}`);
            clients.push({ gateway, stream, client });
          }
        }
        for (const path of ['events?types=1024', 'nope']) {
          const refused = await refusedUpgrade(`ws://127.0.0.1:${port}/api/v1/streams/${path}`);
          assert.equal(refused.status, path === 'nope' ? 404 : 400);
        }
      }

      const feed = new BlockFeed({ post: stack.post, firstHeight: 1, intervalMs: 0 });
      for (let i = 0; i < BLOCKS; i += 1) await feed.postNext();
      blocks = feed.posted;
      for (const height of [5, 10, 15])
        assert.equal((await stack.post(blocks[height - 1]!)).status, 200, `block ${height} again`);
      const refusals: [CommittedBlock, string | undefined, number][] = [
        [makeBlock(BLOCKS + 1, 1), 'not-the-token', 401],
        [makeBlock(BLOCKS + 1, 2), 'also-not-the-token', 401],
        [makeBlock(BLOCKS + 5, 1), undefined, 409],
        [makeBlock(7, 3), undefined, 409],
        [{ height: 'eight' } as unknown as CommittedBlock, undefined, 400],
      ];
      for (const [block, token, status] of refusals)
        assert.equal(
          (await stack.post(block, token)).status,
          status,
          `refusal of ${JSON.stringify(block.height)}`,
        );

      for (const { stream, client } of clients)
        assertSameFrames(
          await settledFrames(client, STREAMS[stream]!(blocks).length),
          STREAMS[stream]!(blocks),
        );
      for (const gateway of [0, 1]) {
        for (const [stream, code] of Object.entries(CLIENT_CLOSES)) {
          const entry = clients.find((c) => c.gateway === gateway && c.stream === stream)!;
          entry.client.socket.close(code, 'done');
          await entry.client.closed;
        }
      }

      for (const path of ['/api/v1/', '/api/v1/', '/api/v1/', '/', '/', '/api/v1/streams', '/missing'])
        await (await fetch(`${stack.discovery.url}${path}`)).arrayBuffer();

      // Closes are counted when the gateway sees them; wait for both before reading the rest.
      for (const [i, gateway] of stack.gateways.entries()) {
        const metrics = `http://127.0.0.1:${gateway.opsPort}/metrics`;
        await waitUntil(
          async () => (await Scrape.of(metrics)).sum('blockcast_gateway_connections_closed_total') === 2,
          10_000,
          `${gateway.name} counting its two client closes`,
          50,
        );
        gatewayScrapes[i] = await Scrape.of(metrics);
      }
      scrapes.ingest = await Scrape.of(`${stack.ingest.opsUrl}/metrics`);
      scrapes.discovery = await Scrape.of(`${stack.discovery.opsUrl}/metrics`);
      const pluginMetrics = `${pluginHost.opsUrl}/metrics`;
      await waitUntil(
        async () => (await Scrape.of(pluginMetrics)).sum('blockcast_plugins_events_total') === BLOCKS,
        10_000,
        'the console plugin taking every block',
        50,
      );
      scrapes.plugins = await Scrape.of(pluginMetrics);
    },
    { timeout: 60_000 },
  );

  after(async () => {
    await Promise.all(clients.map(({ client }) => client.close()));
    const pluginHostCode = await pluginHost?.process.stop(5000);
    const codes = await stack?.stop();
    assert.equal(pluginHostCode, 0, 'the plugin host exits cleanly on SIGTERM');
    if ('redis' in available) await available.redis.stop();
    assert.deepEqual(codes, [0, 0, 0, 0], 'every service exits cleanly on SIGTERM');
  });

  test('each gateway counts the frames and bytes its clients received, by stream', () => {
    for (const [gateway, scrape] of gatewayScrapes.entries()) {
      for (const stream of Object.keys(STREAMS)) {
        const received = clients
          .filter((c) => c.gateway === gateway && c.stream === stream)
          .map(({ client }) => client.frames.filter((frame) => frame !== 'pong'));
        const frames = received.reduce((total, list) => total + list.length, 0);
        const bytes = received.flat().reduce((total, frame) => total + Buffer.byteLength(frame), 0);
        const labels = { stream };
        assert.ok(frames > 0, `${stream} clients on gateway ${gateway + 1} received frames`);
        assert.equal(scrape.sum('blockcast_gateway_frames_sent_total', labels), frames, `${stream} frames`);
        assert.equal(scrape.sum('blockcast_gateway_bytes_sent_total', labels), bytes, `${stream} bytes`);
      }
    }
  });

  test('each gateway counts connections accepted, open, refused and closed by code', () => {
    for (const scrape of gatewayScrapes) {
      for (const stream of Object.keys(STREAMS)) {
        const closed = stream in CLIENT_CLOSES ? 1 : 0;
        assert.equal(
          scrape.sum('blockcast_gateway_connections_accepted_total', { stream }),
          CLIENTS_PER_STREAM,
        );
        assert.equal(scrape.sum('blockcast_gateway_connections', { stream }), CLIENTS_PER_STREAM - closed);
      }
      for (const code of Object.values(CLIENT_CLOSES))
        assert.equal(scrape.sum('blockcast_gateway_connections_closed_total', { code: String(code) }), 1);
      assert.equal(
        scrape.sum('blockcast_gateway_connections_refused_total', { reason: 'invalid_parameter' }),
        1,
      );
      assert.equal(
        scrape.sum('blockcast_gateway_connections_refused_total', { reason: 'unknown_stream' }),
        1,
      );
      assert.equal(scrape.sum('blockcast_gateway_connections_refused_total'), 2, 'no other refusal');
    }
  });

  test('each gateway published every appended block once and saw no gap, reset or slow client', () => {
    for (const scrape of gatewayScrapes) {
      assert.equal(scrape.sum('blockcast_gateway_blocks_total'), BLOCKS);
      assert.equal(scrape.sum('blockcast_gateway_height'), BLOCKS);
      assert.equal(scrape.sum('blockcast_gateway_publish_duration_seconds_count'), BLOCKS);
      assert.equal(scrape.sum('blockcast_gateway_log_lag_blocks'), 0);
      assert.equal(scrape.sum('blockcast_gateway_gaps_total'), 0);
      assert.equal(scrape.sum('blockcast_gateway_resets_total'), 0);
      assert.equal(scrape.sum('blockcast_gateway_slow_clients_closed_total'), 0);
      assert.equal(scrape.sum('blockcast_gateway_catch_up_sockets'), 0);
    }
  });

  test('ingest counts the blocks and transactions appended, duplicates and refusals by code', () => {
    const scrape = scrapes.ingest!;
    const transactions = blocks.reduce((total, block) => total + block.transactions.length, 0);
    const results = { appended: BLOCKS, duplicate: 3, refused: 5, unavailable: 0 };
    for (const [result, count] of Object.entries(results))
      assert.equal(scrape.sum('blockcast_ingest_blocks_total', { result }), count, `blocks ${result}`);
    assert.equal(scrape.sum('blockcast_ingest_transactions_total', { result: 'appended' }), transactions);
    assert.ok(scrape.sum('blockcast_ingest_append_duration_seconds_count') >= BLOCKS, 'every append timed');
    const byCode = 'blockcast_ingest_refusals_total';
    const codes = { UNAUTHORIZED: 2, HEIGHT_GAP: 1, HEIGHT_CONFLICT: 1, INVALID_BLOCK: 1 };
    for (const [code, count] of Object.entries(codes))
      assert.equal(scrape.sum(byCode, { code }), count, `${byCode}{code="${code}"}`);
    assert.equal(scrape.sum(byCode), 5, 'no other refusal');
    assert.equal(scrape.sum('blockcast_ingest_conflicts_total'), 1);
    assert.equal(scrape.sum('blockcast_ingest_last_appended_height'), BLOCKS);
    const statuses = { 201: BLOCKS, 200: 3, 401: 2, 409: 2, 400: 1 };
    for (const [status, count] of Object.entries(statuses))
      assert.equal(
        scrape.sum('blockcast_ingest_request_duration_seconds_count', { status }),
        count,
        `requests answered ${status}`,
      );
  });

  test('discovery counts its requests by route, method and status code', () => {
    const scrape = scrapes.discovery!;
    const name = 'blockcast_discovery_http_request_duration_seconds_count';
    assert.equal(scrape.sum(name, { method: 'GET', status_code: '200' }), 6);
    assert.equal(scrape.sum(name, { route: 'unmatched', status_code: '404' }), 1);
    assert.equal(scrape.sum(name), 7, 'every request once, ops requests not among them');
    assert.deepEqual(scrape.labelValues(name, 'route'), ['/', '/api/v1/', '/api/v1/streams', 'unmatched']);
  });

  test('the plugin host counts each block its plugin took, and no gap, reset, dead letter or failure', () => {
    const scrape = scrapes.plugins!;
    const labels = { plugin: 'console' };
    assert.equal(scrape.sum('blockcast_plugins_events_total', labels), BLOCKS, 'one BLOCK_VALID per block');
    assert.equal(scrape.sum('blockcast_plugins_running', labels), 1);
    for (const name of [
      'blockcast_plugins_history_gaps_total',
      'blockcast_plugins_entries_skipped_total',
      'blockcast_plugins_resets_total',
      'blockcast_plugins_dead_letters_total',
      'blockcast_plugins_dead_letters',
      'blockcast_plugins_failures_total',
    ]) {
      assert.equal(scrape.sum(name, labels), 0, name);
      assert.ok(scrape.declared.has(name), `${name} declared before it ever counts`);
    }
  });

  test('every service exports each metric docs/operations.md lists', () => {
    const scrapesOf: Record<string, Scrape[]> = {
      ingest: [scrapes.ingest!],
      gateway: gatewayScrapes,
      discovery: [scrapes.discovery!],
      plugins: [scrapes.plugins!],
    };
    const missing = documentedMetrics().flatMap((metric) => {
      const services = metric === 'blockcast_build_info' ? Object.keys(scrapesOf) : [metric.split('_')[1]!];
      return services
        .filter((service) => !scrapesOf[service]!.every((scrape) => scrape.declared.has(metric)))
        .map((service) => `${metric} (${service})`);
    });
    assert.deepEqual(missing, []);
  });
});

/** The metric names in the first column of docs/operations.md's metrics table. */
function documentedMetrics(): string[] {
  const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  const names = [...doc.matchAll(/^\| `(blockcast_[a-z_]+)` \|/gm)].map((match) => match[1]!);
  assert.ok(names.length > 20, `docs/operations.md lists the metrics (${names.length} found)`);
  return names;
}
