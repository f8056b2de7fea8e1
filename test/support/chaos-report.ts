/**
 * The figures a fault scenario reports (docs/reliability.md quotes them): printed as one
 * diagnostic line per scenario, and the assertions every scenario shares.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { normaliseBlock } from '@blockcast/protocol';
import type { BlockSender } from './block-sender.js';
import type { ChaosClients } from './chaos-clients.js';
import type { ChaosTopology } from './chaos-topology.js';

export interface ScenarioOutcome {
  scenario: string;
  clients: number;
  /** The final log's first and last heights (first > 1 after an empty restart took a later base). */
  logFirst: number;
  blocks: number;
  /** What started each client's later segments: 4011, EPOCH_MISMATCH, HISTORY_GONE. */
  signals: Record<string, number>;
  /** The positions those later segments started from (distinct, ascending). */
  resumedFrom: number[];
  checked: number;
  lost: number;
  duplicated: number;
  reordered: number;
  changed: number;
  resynchronised: number;
  droppedRepeats: number;
  recoveryMs: number;
  senderRetries: number;
  senderRewinds: number;
}

/**
 * Reads the log back, verifies every client against it and the chain, reports the figures and
 * asserts the promise: nothing lost, repeated, reordered or changed, and the log contiguous.
 */
export async function verifyScenario(
  t: TestContext,
  scenario: string,
  topology: ChaosTopology,
  sender: BlockSender,
  clients: ChaosClients,
  recoveryMs: number,
): Promise<ScenarioOutcome> {
  const logged = await topology.loggedBlocks();
  const heights = logged.map((entry) => entry.height);
  const first = heights[0] ?? 1;
  const last = heights.at(-1) ?? 0;
  assert.deepEqual(
    heights,
    Array.from({ length: last - first + 1 }, (_, i) => first + i),
    'the event log holds every height from its first to its last, once',
  );
  for (const entry of logged) {
    const sent = sender.chain.get(entry.height);
    assert.ok(sent, `height ${entry.height} on the log was sent`);
    assert.deepEqual(
      entry.block,
      normaliseBlock(sent, entry.block.ingestedAt),
      `the log's block ${entry.height} is the one sent`,
    );
  }
  const check = clients.verify(sender.chain, { first, last });
  const outcome: ScenarioOutcome = {
    scenario,
    clients: clients.clients.length,
    logFirst: first,
    blocks: last,
    signals: clients.signals(),
    resumedFrom: [
      ...new Set(
        clients.clients.flatMap((client) => client.segments.slice(1).map((segment) => segment.since)),
      ),
    ].sort((a, b) => a - b),
    checked: check.checked,
    lost: check.lost,
    duplicated: check.duplicated,
    reordered: check.reordered,
    changed: check.changed,
    resynchronised: clients.resynchronised(),
    droppedRepeats: clients.clients.reduce((sum, client) => sum + client.droppedRepeats, 0),
    recoveryMs,
    senderRetries: sender.counts.retried,
    senderRewinds: sender.counts.rewound,
  };
  t.diagnostic(`chaos-figures ${JSON.stringify(outcome)}`);
  assert.deepEqual(
    { lost: check.lost, duplicated: check.duplicated, reordered: check.reordered, changed: check.changed },
    { lost: 0, duplicated: 0, reordered: 0, changed: 0 },
    check.problems.join('\n'),
  );
  assert.equal(check.problems.length, 0, check.problems.join('\n'));
  return outcome;
}
