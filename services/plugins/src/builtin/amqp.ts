/**
 * Built-in `amqp`: publishes each event to a RabbitMQ exchange on a confirm channel and takes the
 * next event only once the broker has confirmed it, so an unconfirmed event is never acknowledged
 * on the bus. A lost connection fails the plugin; the host restarts it and the event comes again.
 */
import { withDeadline } from '@blockcast/common';
import { EventType } from '@blockcast/protocol';
import { connect } from 'amqplib';
import type { PluginContext, PluginEvent } from '../plugin-api.js';
import type { AmqpOptions } from './amqp-options.js';

export const eventTypes = EventType.BLOCK_VALID | EventType.BLOCK_INVALID;

export async function run(events: AsyncIterable<PluginEvent>, context: PluginContext): Promise<void> {
  const options = context.options as AmqpOptions;
  const connection = await connect(options.url);
  // Surfaces as the next publish failing; without a listener the error would crash the process unlogged.
  connection.on('error', (error: Error) => context.logger.warn({ err: error }, 'amqp connection error'));
  try {
    const channel = await connection.createConfirmChannel();
    channel.on('error', (error: Error) => context.logger.warn({ err: error }, 'amqp channel error'));
    await channel.assertExchange(options.exchange, options.exchangeType, { durable: true });
    for await (const event of events) {
      const confirmed = new Promise<void>((resolve, reject) => {
        channel.publish(
          options.exchange,
          event.name,
          Buffer.from(event.json),
          {
            persistent: true,
            contentType: 'application/json',
            // Stable across redeliveries: consumers dedupe on it.
            messageId: event.id,
            type: event.name,
            headers: { height: event.height },
          },
          (error: unknown) => (error ? reject(new Error(`broker refused event ${event.id}`)) : resolve()),
        );
      });
      await withDeadline(confirmed, options.confirmTimeoutMs, `amqp confirm of event ${event.id}`);
    }
  } finally {
    // A broker that blocks this connection (a resource alarm) may never answer the close either.
    await withDeadline(connection.close(), options.confirmTimeoutMs, 'amqp close').catch(() => {});
  }
}
