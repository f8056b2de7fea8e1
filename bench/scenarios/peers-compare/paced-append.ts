/**
 * Blocks appended on an absolute schedule, as appendOnSchedule does, but timed and bounded: a
 * server whose publish API is slow holds the publisher back (each block waits for the last call),
 * so it is offered less than the nominal rate. The scenarios report the rate achieved, fail a
 * saturation step that fell behind, and stop appending at 1.5× the nominal time so one slow peer
 * cannot stretch a run (the blocks never appended are never announced, so never counted lost).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { monotonicMs } from '../../harness/proc.js';
import type { Generator } from '../../harness/processes.js';
import type { RunningServer } from '../../servers/servers.js';

export interface Paced {
  /** Index one past the last block appended (height of the last one). */
  to: number;
  /** Blocks per second actually appended. */
  blocksPerSecond: number;
  /** Whether the schedule held: every block, within 10 % (and 200 ms) of the nominal duration. */
  kept: boolean;
}

const STRETCH_LIMIT = 1.5;

export async function pacedAppend(
  server: RunningServer,
  generators: Generator[],
  from: number,
  to: number,
  perSecond: number,
  /** false: append every block however long it takes (a later phase follows on from `to`). */
  bounded = true,
): Promise<Paced> {
  const nominal = (to - from) / perSecond;
  const t0 = monotonicMs() + 50;
  const deadline = bounded ? t0 + nominal * STRETCH_LIMIT * 1000 : Number.POSITIVE_INFINITY;
  let i = from;
  for (; i < to && monotonicMs() < deadline; i++) {
    const wait = t0 + ((i - from) * 1000) / perSecond - monotonicMs();
    if (wait > 0) await delay(wait);
    const atMs = monotonicMs();
    for (const generator of generators) generator.send({ type: 'sent', height: i + 1, atMs });
    await server.deliver(i);
  }
  // The last block goes out one interval before the nominal end.
  const seconds = (monotonicMs() - t0) / 1000 + 1 / perSecond;
  return {
    to: i,
    blocksPerSecond: (i - from) / seconds,
    kept: i === to && seconds <= nominal * 1.1 + 0.2,
  };
}

/** The note's words for a schedule that did not hold. */
export function pacingNote(paced: Paced, perSecond: number): string {
  return paced.kept
    ? ''
    : `; its publish API held the publisher to ${paced.blocksPerSecond.toFixed(1)} of ${perSecond} blocks/s (${paced.to} blocks appended)`;
}
