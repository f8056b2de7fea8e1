/** The webhook plugin's configuration (PLUGINS_WEBHOOK_*), parsed by the host. */
export interface WebhookOptions {
  /** PLUGINS_WEBHOOK_URL (required): each event is POSTed here as JSON. */
  url: string;
  /** PLUGINS_WEBHOOK_SECRET: signs each body (`X-Blockcast-Signature`, as ingest verifies); unsigned without. */
  secret: string | undefined;
  /** PLUGINS_WEBHOOK_ATTEMPTS, default 5: tries per event before it goes to the dead-letter stream. */
  attempts: number;
  /** PLUGINS_WEBHOOK_RETRY_MIN_MS, default 500: the first wait between tries, doubling after each. */
  retryMinMs: number;
  /** PLUGINS_WEBHOOK_RETRY_MAX_MS, default 30 000: the longest wait between tries. */
  retryMaxMs: number;
  /** PLUGINS_WEBHOOK_TIMEOUT_MS, default 10 000: a try without a complete answer by then has failed. */
  timeoutMs: number;
}
