import { setTimeout as delay } from 'node:timers/promises';
import type { Connections } from './connections.js';

export interface DrainPace {
  /** Sockets closed per second. */
  ratePerSecond: number;
  /** ms epoch by which every socket must be gone. */
  deadline: number;
}

const TICK_MS = 100;

/**
 * Closes every socket with 1001 and its resume position, in paced batches so the clients'
 * reconnects (and their catch-up reads) arrive spread out rather than all at once, then waits for
 * them to go; whatever is still open at the deadline is cut. Returns how many had to be cut.
 */
export async function drainConnections(connections: Connections, pace: DrainPace): Promise<number> {
  // A budget that fills at the rate, so any rate (even below one per tick) is kept.
  let budget = 1;
  let last = Date.now();
  while (connections.size > 0 && Date.now() < pace.deadline) {
    const now = Date.now();
    budget += ((now - last) * pace.ratePerSecond) / 1000;
    last = now;
    for (const connection of connections) {
      if (budget < 1) break;
      if (connection.closing) continue;
      connection.end('DRAINING');
      budget -= 1;
    }
    await delay(Math.min(TICK_MS, Math.max(0, pace.deadline - Date.now())));
  }
  let cut = 0;
  for (const connection of [...connections]) {
    connection.cut();
    cut += 1;
  }
  return cut;
}
