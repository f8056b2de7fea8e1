import { formatPosition, type Position } from './position.js';

/**
 * Every close code blockcast sends, as data: what it means, whether its reason carries a resume
 * position, and what a client does next. docs/protocol.md is checked against this table.
 *
 * A reason with a position reads `<what>; since=<P>; epoch=<E>`: the client has received every
 * frame up to and including position P (`H`, or `H-S` on `events` with emitted types) of epoch E,
 * and nothing after; it reconnects with `?since=P&epoch=E` and misses nothing.
 */
export interface CloseCodeSpec {
  code: number;
  /** The reason text before the position. */
  reason: string;
  when: string;
  /** `resume`: reconnect with since/epoch from the reason; `resync`: the history is not continuous. */
  next: 'resume' | 'resume-later' | 'resync' | 'fix-client';
  todo: string;
}

export const CLOSE_CODES = {
  NORMAL: {
    code: 1000,
    reason: 'no "ping" received for too long',
    when: '0.10 `valid_tx`: no text "ping" for 3 minutes',
    next: 'resume',
    todo: 'reconnect with since/epoch from the reason if you still want events; send "ping" every 30 s',
  },
  DRAINING: {
    code: 1001,
    reason: 'draining',
    when: 'the gateway is shutting down (deploy, scale-down)',
    next: 'resume',
    todo: 'reconnect at once with since/epoch from the reason; the load balancer sends you to another gateway',
  },
  POLICY: {
    code: 1008,
    reason: 'token expired',
    when: 'the token a private stream was opened with reached its `exp`',
    next: 'fix-client',
    todo: 'get a new token, then reconnect with since/epoch from the reason',
  },
  TOO_BIG: {
    code: 1009,
    reason: 'message too big',
    when: 'a client message over GATEWAY_MAX_PAYLOAD_BYTES',
    next: 'fix-client',
    todo: 'send only "ping"; reconnect with since/epoch from the reason',
  },
  OVER_CAPACITY: {
    code: 1013,
    reason: 'gateway at capacity; try again later',
    when: 'the gateway is at GATEWAY_MAX_CONNECTIONS (closed right after opening: nothing was sent)',
    next: 'resume-later',
    todo: 'retry with backoff and the same since you connected with; another gateway may take you',
  },
  TOO_SLOW: {
    code: 4008,
    reason: 'too slow',
    when: 'a socket whose queued bytes did not go down for GATEWAY_STALL_TIMEOUT_S',
    next: 'resume',
    todo: 'read faster; reconnect with since/epoch from the reason',
  },
  UNRESPONSIVE: {
    code: 4009,
    reason: 'no answer to pings',
    when: 'a peer with nothing queued that answered no WebSocket ping within GATEWAY_IDLE_TIMEOUT_S',
    next: 'resume',
    todo: 'answer pings (every WebSocket library does by default); reconnect with since/epoch from the reason',
  },
  HISTORY_GONE: {
    code: 4010,
    reason: 'history gone',
    when: 'a client in catch-up whose next entry left the retained history (the reason names `oldest`, the oldest block kept)',
    next: 'resync',
    todo: 'the entries after since are no longer kept: resynchronise, then connect with since >= oldest - 1 (on events with generic event types: since >= oldest)',
  },
  RESET: {
    code: 4011,
    reason: 'stream reset',
    when: 'the stream was recreated or rolled back under the gateway (the reason names the new epoch and head)',
    next: 'resync',
    todo: 'your heights belong to the old history: resynchronise, then connect with the new epoch',
  },
} as const satisfies Record<string, CloseCodeSpec>;

export type CloseCodeName = keyof typeof CLOSE_CODES;

/** Each close code's number by name (`CloseCode.RESET === 4011`), read from {@link CLOSE_CODES}. */
export const CloseCode = Object.fromEntries(
  Object.entries(CLOSE_CODES).map(([name, spec]) => [name, spec.code]),
) as { readonly [Name in CloseCodeName]: (typeof CLOSE_CODES)[Name]['code'] };

/**
 * Where a client stands: every frame up to `since` (a block height) of `epoch` received — and,
 * when `seq` is there, the generic events after block `since` up to number `seq` too.
 */
export interface StreamPosition {
  since: number;
  /** Present only for an `H-S` position (a generic event on `events`). */
  seq?: number;
  epoch: string | null;
}

/** `draining; since=41; epoch=a1b2c3` — short enough for a close frame (123 bytes). */
export function closeReason(name: CloseCodeName, details: Record<string, string | number | null>): string {
  const parts: string[] = [CLOSE_CODES[name].reason];
  for (const [key, value] of Object.entries(details)) if (value !== null) parts.push(`${key}=${value}`);
  return parts.join('; ');
}

/** `closeReason` naming where the client stands: `<what>; since=<P>; epoch=<E>`, then `extra`. */
export function closeReasonAt(
  name: CloseCodeName,
  position: Position,
  epoch: string | null,
  extra: Record<string, string | number | null> = {},
): string {
  return closeReason(name, { since: formatPosition(position), epoch, ...extra });
}

/** The position in a close reason, for clients and tests; undefined when it has none. */
export function positionIn(reason: string): StreamPosition | undefined {
  const since = /(?:^|; )since=(\d+)(?:-(\d+))?(?:;|$)/.exec(reason);
  if (since === null) return undefined;
  const epoch = /(?:^|; )epoch=([^;]+)/.exec(reason)?.[1] ?? null;
  const seq = since[2] === undefined ? 0 : Number(since[2]);
  return seq === 0 ? { since: Number(since[1]), epoch } : { since: Number(since[1]), seq, epoch };
}

/** 0.10 servers closed connections that sent no "ping" for three minutes. */
export const LEGACY_IDLE_TIMEOUT_MS = 3 * 60 * 1000;
