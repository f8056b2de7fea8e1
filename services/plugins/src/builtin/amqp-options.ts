/** The amqp plugin's configuration (PLUGINS_AMQP_*), parsed by the host. */
export interface AmqpOptions {
  /** PLUGINS_AMQP_URL (required): `amqp://user:pass@host:5672/vhost`. */
  url: string;
  /** PLUGINS_AMQP_EXCHANGE, default `blockcast.events`: declared durable if missing. */
  exchange: string;
  /** PLUGINS_AMQP_EXCHANGE_TYPE, default `topic`; the routing key is the event name (`BLOCK_VALID`). */
  exchangeType: 'topic' | 'fanout' | 'direct';
  /** PLUGINS_AMQP_CONFIRM_TIMEOUT_MS, default 10 000: a publish the broker has not confirmed by then fails the plugin. */
  confirmTimeoutMs: number;
}
