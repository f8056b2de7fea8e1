import { setTimeout as delay } from 'node:timers/promises';

/**
 * The one poll loop of the tooling: re-checks `condition` every `intervalMs` until it holds and
 * rejects after `timeoutMs` with `what` in the message. A condition that throws ends the wait
 * with its error (e.g. "the process exited").
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
  intervalMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await delay(intervalMs);
  }
}
