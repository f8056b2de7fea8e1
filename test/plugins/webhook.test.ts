/** Built-in webhook plugin against a real HTTP server: signed POSTs, retries, timeouts, dead letters. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeBlockEvent, startService, waitUntil } from '@blockcast/devkit';
import { deadLetterKey } from '@blockcast/plugins';
import { blockValidEventFrame } from '@blockcast/protocol';
import { redisSkip, startHost } from './plugins-harness.js';

const SECRET = 'webhook-secret-0123456789';

interface Delivery {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver whose answer to each request is decided by `answer` (status, or 'hang' to never answer). */
async function startReceiver(
  t: { after(fn: () => Promise<unknown>): void },
  answer: (delivery: Delivery, index: number) => number | 'hang',
): Promise<{ url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      const delivery = { headers: request.headers, body };
      deliveries.push(delivery);
      const status = answer(delivery, deliveries.length - 1);
      if (status !== 'hang') response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, deliveries };
}

function signatureValid(delivery: Delivery): boolean {
  const header = String(delivery.headers['x-blockcast-signature'] ?? '');
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (match === null) return false;
  const expected = createHmac('sha256', SECRET).update(`${match[1]}.${delivery.body}`).digest('hex');
  return expected === match[2];
}

const heightOf = (delivery: Delivery) => (JSON.parse(delivery.body) as { height: number }).height;

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `replay-dead-letters.ts <plugin>` as its own process, with only `env` (no PLUGINS* or REDIS_* of this one). */
async function replayDeadLetters(
  plugin: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const inherited = Object.fromEntries(
    Object.keys(process.env)
      .filter((name) => name.startsWith('PLUGINS') || name.startsWith('REDIS_'))
      .map((name) => [name, '']),
  );
  const replay = startService('plugins', {
    name: 'replay',
    env: { ...inherited, ...env },
    launch: {
      command: process.execPath,
      args: ['--import', 'tsx', 'services/plugins/src/replay-dead-letters.ts', plugin],
      cwd: REPO_ROOT,
    },
  });
  return { code: await replay.exited, output: replay.output() };
}

describe('webhook plugin', { skip: redisSkip }, () => {
  test('POSTs each event as its events-stream JSON, HMAC-signed, retrying until a 2xx answer', async (t) => {
    let failuresLeft = 2;
    const receiver = await startReceiver(t, (delivery) =>
      heightOf(delivery) === 2 && failuresLeft-- > 0 ? 500 : 204,
    );
    const host = await startHost(t, {
      PLUGINS: 'webhook',
      PLUGINS_WEBHOOK_URL: receiver.url,
      PLUGINS_WEBHOOK_SECRET: SECRET,
      PLUGINS_WEBHOOK_RETRY_MIN_MS: '20',
    });
    await host.app.start();
    const blocks = [1, 2, 3].map((height) => makeBlockEvent(height, 2));
    for (const block of blocks) await host.log.append(block);
    await waitUntil(() => receiver.deliveries.some((d) => heightOf(d) === 3), 10_000, 'height 3 posted');

    const { deliveries } = receiver;
    assert.deepEqual(deliveries.map(heightOf), [1, 2, 2, 2, 3], 'two failed tries of 2, then on');
    assert.deepEqual(
      deliveries.map((d) => d.headers['x-blockcast-attempt']),
      ['1', '1', '2', '3', '1'],
    );
    assert.equal(deliveries[0]!.body, blockValidEventFrame(blocks[0]!));
    assert.equal(deliveries[0]!.headers['x-blockcast-event-id'], '1:BLOCK_VALID');
    assert.equal(deliveries[0]!.headers['content-type'], 'application/json');
    assert.ok(deliveries.every(signatureValid), 'every body carries a valid signature');
    await waitUntil(async () => (await host.pending('webhook')) === 0, 5000, 'all acknowledged');
    assert.equal(await host.redis.xlen(deadLetterKey(host.prefix, 'webhook')), 0);
  });

  test('an event refused PLUGINS_WEBHOOK_ATTEMPTS times goes to the dead-letter stream and the next one is delivered', async (t) => {
    const receiver = await startReceiver(t, (delivery) => (heightOf(delivery) === 2 ? 503 : 200));
    const host = await startHost(t, {
      PLUGINS: 'webhook',
      PLUGINS_WEBHOOK_URL: receiver.url,
      PLUGINS_WEBHOOK_ATTEMPTS: '3',
      PLUGINS_WEBHOOK_RETRY_MIN_MS: '10',
    });
    await host.app.start();
    const blocks = [1, 2, 3].map((height) => makeBlockEvent(height, 1));
    for (const block of blocks) await host.log.append(block);
    await waitUntil(() => receiver.deliveries.some((d) => heightOf(d) === 3), 10_000, 'height 3 posted');

    assert.deepEqual(receiver.deliveries.map(heightOf), [1, 2, 2, 2, 3]);
    const dead = await host.redis.xrange(deadLetterKey(host.prefix, 'webhook'), '-', '+');
    assert.equal(dead.length, 1);
    const fields = Object.fromEntries(
      Array.from({ length: dead[0]![1].length / 2 }, (_, i) => [dead[0]![1][2 * i], dead[0]![1][2 * i + 1]]),
    );
    assert.equal(fields.event_id, '2:BLOCK_VALID');
    assert.equal(fields.height, '2');
    assert.equal(fields.event, blockValidEventFrame(blocks[1]!));
    assert.match(fields.reason!, /3 attempts failed; the last: HTTP 503/);
    await waitUntil(async () => (await host.pending('webhook')) === 0, 5000, 'all acknowledged');
    assert.equal(await host.metric('blockcast_plugins_dead_letters_total', 'webhook'), 1, 'counted');
    assert.equal(await host.metric('blockcast_plugins_dead_letters', 'webhook'), 1, 'the stream length');
  });

  test('replay-dead-letters re-sends each dead letter, signed, and deletes it once the endpoint answers 2xx; refused ones stay', async (t) => {
    let accepted = new Set([1]);
    const receiver = await startReceiver(t, (delivery) => (accepted.has(heightOf(delivery)) ? 200 : 503));
    const settings = {
      PLUGINS_WEBHOOK_URL: receiver.url,
      PLUGINS_WEBHOOK_SECRET: SECRET,
      PLUGINS_WEBHOOK_ATTEMPTS: '1',
    };
    const host = await startHost(t, { PLUGINS: 'webhook', ...settings });
    await host.app.start();
    const blocks = [1, 2, 3].map((height) => makeBlockEvent(height, 1));
    for (const block of blocks) await host.log.append(block);
    await waitUntil(
      async () => (await host.pending('webhook')) === 0 && receiver.deliveries.length === 3,
      10_000,
      'all tried',
    );
    const dead = deadLetterKey(host.prefix, 'webhook');
    await waitUntil(async () => (await host.redis.xlen(dead)) === 2, 5000, 'two dead letters');
    await host.app.close();
    const env = {
      REDIS_URL: host.redisUrl,
      BLOCKCAST_STREAM_PREFIX: host.prefix,
      LOG_LEVEL: 'info',
      ...settings,
    };

    accepted = new Set([1, 2]);
    const partly = await replayDeadLetters('webhook', env);
    assert.equal(partly.code, 1, `exits 1 while dead letters remain: ${partly.output}`);
    assert.match(partly.output, /1 replayed, 1 still dead/);
    const replayed = receiver.deliveries.slice(3);
    assert.deepEqual(replayed.map(heightOf), [2, 3], 'each dead letter sent again, oldest first');
    assert.equal(replayed[0]!.body, blockValidEventFrame(blocks[1]!));
    assert.equal(replayed[0]!.headers['x-blockcast-event-id'], '2:BLOCK_VALID');
    assert.ok(replayed.every(signatureValid), 'signed as the plugin signs');
    const left = await host.redis.xrange(dead, '-', '+');
    assert.deepEqual(
      left.map(([, fields]) => fields[fields.indexOf('event_id') + 1]),
      ['3:BLOCK_VALID'],
      'the refused one stays',
    );

    accepted = new Set([1, 2, 3]);
    const rest = await replayDeadLetters('webhook', env);
    assert.equal(rest.code, 0, rest.output);
    assert.match(rest.output, /1 replayed, 0 still dead/);
    assert.equal(await host.redis.xlen(dead), 0, 'every dead letter delivered and removed');
    assert.deepEqual(receiver.deliveries.slice(5).map(heightOf), [3]);
  });

  test('a receiver that does not answer within PLUGINS_WEBHOOK_TIMEOUT_MS counts as a failed try', async (t) => {
    const receiver = await startReceiver(t, (_delivery, index) => (index === 0 ? 'hang' : 200));
    const host = await startHost(t, {
      PLUGINS: 'webhook',
      PLUGINS_WEBHOOK_URL: receiver.url,
      PLUGINS_WEBHOOK_TIMEOUT_MS: '1000',
      PLUGINS_WEBHOOK_RETRY_MIN_MS: '10',
    });
    await host.app.start();
    await host.log.append(makeBlockEvent(1, 1));
    await waitUntil(() => receiver.deliveries.length === 2, 10_000, 'a second try after the timeout');
    assert.deepEqual(
      receiver.deliveries.map((d) => d.headers['x-blockcast-attempt']),
      ['1', '2'],
    );
    await waitUntil(async () => (await host.pending('webhook')) === 0, 5000, 'acknowledged');
    assert.equal(await host.redis.xlen(deadLetterKey(host.prefix, 'webhook')), 0);
  });

  test('stopped while a POST hangs, it ends at once and leaves the event pending, not dead-lettered', async (t) => {
    const receiver = await startReceiver(t, () => 'hang');
    const host = await startHost(t, {
      PLUGINS: 'webhook',
      PLUGINS_WEBHOOK_URL: receiver.url,
      PLUGINS_WEBHOOK_TIMEOUT_MS: '60000',
      PLUGINS_SHUTDOWN_GRACE_MS: '20000',
    });
    await host.app.start();
    await host.log.append(makeBlockEvent(1, 1));
    await waitUntil(() => receiver.deliveries.length === 1, 10_000, 'the POST under way');
    const began = Date.now();
    await host.app.close();
    assert.ok(Date.now() - began < 5000, 'neither the 60 s timeout nor the 20 s grace was waited out');
    assert.equal(await host.pending('webhook'), 1, 'delivered again after the next start');
    assert.equal(await host.redis.xlen(deadLetterKey(host.prefix, 'webhook')), 0);
  });
});
