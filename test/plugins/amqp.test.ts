/** Built-in amqp plugin against a real RabbitMQ node: every event published, confirmed, in order. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  makeBlockEvent,
  type RabbitMqServerProcess,
  rabbitMqInstalled,
  startRabbitMqServer,
  waitUntil,
} from '@blockcast/devkit';
import { blockInvalidEventFrame, blockValidEventFrame } from '@blockcast/protocol';
import { type ConsumeMessage, connect } from 'amqplib';
import { missing } from '../support/test-dependencies.js';
import { redisSkip, startHost } from './plugins-harness.js';

/** CI installs rabbitmq-server (.ci/run); elsewhere a machine without it skips. */
const rabbitSkip =
  redisSkip ||
  (rabbitMqInstalled() ? false : missing('rabbitmq-server', 'apt-get install -y rabbitmq-server').skip);

/** Every message published to `exchange` (declared here as the plugin would), through an exclusive queue bound to '#'. */
async function consumeAll(
  t: { after(fn: () => Promise<unknown>): void },
  url: string,
  exchange: string,
): Promise<ConsumeMessage[]> {
  const connection = await connect(url);
  t.after(() => connection.close());
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, exchange, '#');
  const messages: ConsumeMessage[] = [];
  await channel.consume(queue, (message) => message && messages.push(message), { noAck: true });
  return messages;
}

describe('amqp plugin', { skip: rabbitSkip }, () => {
  let rabbit: RabbitMqServerProcess;
  before(async () => {
    rabbit = await startRabbitMqServer();
  });
  after(() => rabbit?.stop());

  test('publishes every event to the exchange in bus order, routed by event name, with stable message ids', async (t) => {
    const exchange = `blockcast.test.${Date.now()}`;
    const messages = await consumeAll(t, rabbit.url, exchange);

    const host = await startHost(t, {
      PLUGINS: 'amqp',
      PLUGINS_AMQP_URL: rabbit.url,
      PLUGINS_AMQP_EXCHANGE: exchange,
    });
    await host.app.start();
    const blocks = [makeBlockEvent(1, 2), makeBlockEvent(2, 1, { rejected: 2 }), makeBlockEvent(3, 0)];
    for (const block of blocks) await host.log.append(block);
    await waitUntil(() => messages.length >= 4, 15_000, 'four messages');

    assert.deepEqual(
      messages.map((message) => [message.fields.routingKey, message.properties.messageId]),
      [
        ['BLOCK_VALID', '1:BLOCK_VALID'],
        ['BLOCK_VALID', '2:BLOCK_VALID'],
        ['BLOCK_INVALID', '2:BLOCK_INVALID'],
        ['BLOCK_VALID', '3:BLOCK_VALID'],
      ],
    );
    assert.deepEqual(
      messages.map((message) => message.content.toString()),
      [
        blockValidEventFrame(blocks[0]!),
        blockValidEventFrame(blocks[1]!),
        blockInvalidEventFrame(blocks[1]!),
        blockValidEventFrame(blocks[2]!),
      ],
    );
    assert.equal(messages[0]!.properties.contentType, 'application/json');
    assert.equal(messages[0]!.properties.deliveryMode, 2, 'persistent');
    await waitUntil(async () => (await host.pending('amqp')) === 0, 5000, 'all acknowledged on the bus');
    // Counted by the host when the plugin process reports the ack, a moment after Redis has it.
    await waitUntil(
      async () => (await host.metric('blockcast_plugins_events_total', 'amqp')) === 4,
      5000,
      'four counted',
    );
  });

  test('a broker that cannot be reached fails the plugin, which is restarted and counted, and nothing is acknowledged', async (t) => {
    const host = await startHost(t, {
      PLUGINS: 'amqp',
      // A port nothing listens on: connect() is refused at once.
      PLUGINS_AMQP_URL: `amqp://guest:guest@127.0.0.1:${rabbit.port + 1}`,
    });
    const { opsPort } = await host.app.start();
    await host.log.append(makeBlockEvent(1, 1));
    await waitUntil(
      async () => {
        const readiness = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
        const { reason } = (await readiness.json()) as { reason?: string };
        return readiness.status === 503 && /^amqp: waiting to restart \(.*ECONNREFUSED/.test(reason ?? '');
      },
      10_000,
      '/readyz naming the plugin and its failure',
    );
    await waitUntil(
      async () => (await host.metric('blockcast_plugins_restarts_total', 'amqp')) >= 2,
      10_000,
      'two restarts',
    );
    assert.ok((await host.metric('blockcast_plugins_failures_total', 'amqp')) >= 2);
    assert.equal(await host.metric('blockcast_plugins_events_total', 'amqp'), 0);
  });

  test('a broker that stops confirming (a memory alarm) fails the plugin within PLUGINS_AMQP_CONFIRM_TIMEOUT_MS; the event is published once it clears', async (t) => {
    const exchange = `blockcast.alarm.${Date.now()}`;
    const messages = await consumeAll(t, rabbit.url, exchange);
    const heights = () => messages.map((message) => Number(message.properties.headers?.height));
    const host = await startHost(t, {
      PLUGINS: 'amqp',
      PLUGINS_AMQP_URL: rabbit.url,
      PLUGINS_AMQP_EXCHANGE: exchange,
      PLUGINS_AMQP_CONFIRM_TIMEOUT_MS: '500',
    });
    await host.app.start();
    await host.log.append(makeBlockEvent(1, 1));
    await waitUntil(() => heights().length === 1, 10_000, 'block 1 published');

    await rabbit.ctl('set_vm_memory_high_watermark', '0');
    t.after(() => rabbit.ctl('set_vm_memory_high_watermark', '0.4'));
    await host.log.append(makeBlockEvent(2, 1));
    await waitUntil(
      async () => (await host.metric('blockcast_plugins_failures_total', 'amqp')) >= 1,
      10_000,
      'the unconfirmed publish failed the plugin',
    );
    assert.equal(await host.pending('amqp'), 1, 'block 2 not acknowledged on the bus');
    assert.equal(await host.metric('blockcast_plugins_events_total', 'amqp'), 1);

    await rabbit.ctl('set_vm_memory_high_watermark', '0.4');
    await waitUntil(() => heights().includes(2), 20_000, 'block 2 published after the alarm cleared');
    await waitUntil(async () => (await host.pending('amqp')) === 0, 10_000, 'block 2 acknowledged');
  });
});
