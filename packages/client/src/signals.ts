/**
 * What a subscription tells the application besides events: its state, with the close code and
 * reason that moved it, and the signals that end it because continuing would be a lie.
 * docs/clients.md says what the application does on each.
 */
export type SubscriptionState = 'idle' | 'connecting' | 'open' | 'waiting' | 'closed';

export interface StateChange {
  state: SubscriptionState;
  previous: SubscriptionState;
  /** The close code (or HTTP status of a refused upgrade) that caused the change, if any. */
  code?: number;
  reason?: string;
  /** `waiting`: how long until the next attempt. */
  delayMs?: number;
}

/** The history changed (4011, 409 EPOCH_MISMATCH): the positions held belong to another history. */
export interface ResetSignal {
  kind: 'reset';
  /** The new epoch and head when the server named them. */
  epoch: string | null;
  head: number | null;
  code: number;
  message: string;
}

/** The events after the position are no longer kept (4010, 410): `oldest` is the oldest height still there. */
export interface HistoryGoneSignal {
  kind: 'historyGone';
  oldest: number | null;
  code: number;
  message: string;
}

/** The server refused the subscription itself (400/401/403/404): retrying cannot help. */
export interface RefusedSignal {
  kind: 'refused';
  status: number;
  /** The server's stable code, e.g. `PARAMETER_NOT_APPLICABLE`, `TOKEN_INVALID`. */
  code: string;
  message: string;
  /** The server's whole JSON error. */
  body: Record<string, unknown>;
}

export type Signal = ResetSignal | HistoryGoneSignal | RefusedSignal;

/** How an async iterator over a subscription ends on a signal. */
export class SignalError extends Error {
  constructor(readonly signal: Signal) {
    super(`${signal.kind}: ${signal.message}`);
    this.name = 'SignalError';
  }
}
