import type { HttpResponse } from 'uWebSockets.js';
import { UpgradeError } from '@blockcast/protocol';

export interface PendingOutcome<T> {
  accept(value: T): void;
  refuse(error: UpgradeError): void;
}

/**
 * An upgrade that waits for its checks (token, resume position): decided within `timeoutMs`
 * (503 HANDSHAKE_TIMEOUT after it, so a stuck event log cannot hold connections open), inside
 * a cork, and not at all when the client has gone meanwhile.
 */
export function settleWithin<T>(
  res: HttpResponse,
  checks: Promise<T>,
  timeoutMs: number,
  outcome: PendingOutcome<T>,
): void {
  let settled = false;
  const settle = (then: () => void) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    res.cork(then);
  };
  res.onAborted(() => {
    settled = true;
    clearTimeout(timer);
  });
  const timer = setTimeout(() => {
    const late = new UpgradeError(
      'HANDSHAKE_TIMEOUT',
      `checking this upgrade took longer than ${timeoutMs} ms; retry`,
    );
    settle(() => outcome.refuse(late));
  }, timeoutMs);
  checks.then(
    (value) => settle(() => outcome.accept(value)),
    (error: unknown) =>
      settle(() =>
        outcome.refuse(
          error instanceof UpgradeError ? error : new UpgradeError('LOG_UNAVAILABLE', String(error)),
        ),
      ),
  );
}
