/**
 * appendOnSchedule, timed: a server whose publish API is slow holds the publisher back (each
 * block waits for the last call), so the rate it was offered is below the nominal one. The
 * scenarios report the rate achieved and fail a saturation step that fell behind.
 */
import type { Generator } from '../gateway-bench-processes.js';
import { monotonicMs } from '../gateway-bench-shared.js';
import { appendOnSchedule } from '../gateway-scenario.js';
import type { RunningServer } from '../gateway-servers.js';

export interface Paced {
  /** Blocks per second actually appended. */
  blocksPerSecond: number;
  /** Whether the schedule held: within 10 % (and 200 ms) of the nominal duration. */
  kept: boolean;
}

export async function pacedAppend(
  server: RunningServer,
  generators: Generator[],
  from: number,
  to: number,
  perSecond: number,
): Promise<Paced> {
  const started = monotonicMs();
  await appendOnSchedule(server, generators, from, to, perSecond);
  // The last block goes out one interval before the nominal end; appendOnSchedule starts 50 ms out.
  const seconds = (monotonicMs() - started - 50) / 1000 + 1 / perSecond;
  const nominal = (to - from) / perSecond;
  return { blocksPerSecond: (to - from) / seconds, kept: seconds <= nominal * 1.1 + 0.2 };
}

/** The note's words for a schedule that did not hold. */
export function pacingNote(paced: Paced, perSecond: number): string {
  return paced.kept
    ? ''
    : `; its publish API held the publisher to ${paced.blocksPerSecond.toFixed(1)} of ${perSecond} blocks/s`;
}
