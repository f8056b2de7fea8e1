/**
 * Built-in `webhook`: POSTs each event's JSON to PLUGINS_WEBHOOK_URL, signed like ingest's bodies,
 * retried with doubling waits; an event still refused after PLUGINS_WEBHOOK_ATTEMPTS tries goes to
 * the dead-letter stream and the plugin moves on.
 */
import { sleep } from '@blockcast/common';
import { BODY_SIGNATURE_HEADER, cappedBackoff, EventType, signBodyWith } from '@blockcast/protocol';
import type { PluginContext, PluginEvent } from '../plugin-api.js';
import type { WebhookOptions } from './webhook-options.js';

export const eventTypes = EventType.BLOCK_VALID | EventType.BLOCK_INVALID;

export async function run(events: AsyncIterable<PluginEvent>, context: PluginContext): Promise<void> {
  const options = context.options as WebhookOptions;
  for await (const event of events) {
    const failure = await deliver(event, options, context.signal);
    // Stopped mid-retry: leave the event unacknowledged, so the next start delivers it again.
    if (context.signal.aborted) return;
    if (failure !== undefined) {
      context.logger.warn({ event: event.id, failure }, 'webhook gave up on the event: dead-lettered');
      await context.deadLetter(event, failure);
    }
  }
}

/** What a POST carries: the event's name and id (headers) and its JSON (the body). */
export type WebhookEvent = Pick<PluginEvent, 'id' | 'name' | 'json'>;

/** Tries until a 2xx answer (undefined) or the last failure's description. */
export async function deliver(
  event: WebhookEvent,
  options: WebhookOptions,
  signal: AbortSignal,
): Promise<string | undefined> {
  let failure = '';
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    if (attempt > 1) await sleep(cappedBackoff(attempt - 1, options.retryMinMs, options.retryMaxMs), signal);
    if (signal.aborted) return failure;
    failure = await post(event, attempt, options, signal);
    if (failure === '') return undefined;
  }
  return `${options.attempts} attempts failed; the last: ${failure}`;
}

/** One POST; '' when answered 2xx, else what went wrong. */
async function post(
  event: WebhookEvent,
  attempt: number,
  options: WebhookOptions,
  stop: AbortSignal,
): Promise<string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-blockcast-event': event.name,
    // Stable across retries and redeliveries: the receiver's idempotency key.
    'x-blockcast-event-id': event.id,
    'x-blockcast-attempt': String(attempt),
  };
  if (options.secret !== undefined) {
    headers[BODY_SIGNATURE_HEADER] = signBodyWith(options.secret, event.json, Math.floor(Date.now() / 1000));
  }
  try {
    const response = await fetch(options.url, {
      method: 'POST',
      headers,
      body: event.json,
      // A stopping plugin does not wait out the timeout: the event stays pending for the next start.
      signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs), stop]),
    });
    // Read to the end, so the connection can be reused and the timeout covers the whole answer.
    await response.arrayBuffer();
    return response.ok ? '' : `HTTP ${response.status}`;
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}
