/**
 * LEAP's `emit`: `POST /api/v1/events/<type>` on ingest with `{"content": …}` and one
 * `Idempotency-Key` made per emit and sent again by every retry, so a retry after a timeout or a
 * lost answer is never a second event.
 */
import type { Fetch } from './api-root.js';
import { Backoff, type BackoffOptions } from './backoff.js';

export interface EmitTarget {
  ingestUrl: string;
  token: string | undefined;
  fetch: Fetch;
  backoff: BackoffOptions;
  /** Tries in all, the first included. Default 5. */
  attempts: number;
  /** Per try. Default 10 000 ms. */
  timeoutMs: number;
}

/** Ingest's answer: where the event sits on the bus. */
export interface Emitted {
  type: string;
  height: number;
  seq: number;
  /** `H-S`: resume an `events` connection with `since=<position>` to read from right after it. */
  position: string;
  epoch: string;
}

/** Ingest refused the event (4xx): retrying the same event cannot help. */
export class EmitError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(`emit refused (${status} ${String(body.code ?? '')}): ${String(body.message ?? '')}`);
    this.name = 'EmitError';
  }
}

/** `idempotencyKey`: one per event, the same for every try; a caller's own to retry an emit whose answer it lost. */
export async function emitEvent(
  target: EmitTarget,
  type: string,
  content: unknown,
  idempotencyKey: string = crypto.randomUUID(),
): Promise<Emitted> {
  const backoff = new Backoff(target.backoff);
  const url = `${target.ingestUrl.replace(/\/$/, '')}/api/v1/events/${encodeURIComponent(type)}`;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'idempotency-key': idempotencyKey,
  };
  if (target.token !== undefined) headers.authorization = `Bearer ${target.token}`;
  const body = JSON.stringify({ content });
  let lastError: unknown;
  for (let attempt = 0; attempt < target.attempts; attempt += 1) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, backoff.next()));
    let response: Response;
    try {
      response = await target.fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(target.timeoutMs),
      });
    } catch (error) {
      lastError = error; // no answer: the event may or may not be written; the same key makes the retry safe
      continue;
    }
    const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.ok) return answer as unknown as Emitted;
    if (response.status !== 429 && response.status < 500) throw new EmitError(response.status, answer);
    lastError = new EmitError(response.status, answer);
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
