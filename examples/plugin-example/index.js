/**
 * A blockcast event plugin, the counterpart of BigchainDB's events-plugin-example: it subscribes
 * to valid and invalid blocks and prints one line for each block and each rejected transaction.
 * The host runs it in a process of its own; `events` ends when the host stops it.
 */

// Event type bits, as in BigchainDB's event plugin API (packages/protocol event-types.ts).
const BLOCK_VALID = 1;
const BLOCK_INVALID = 2;

export const eventTypes = BLOCK_VALID | BLOCK_INVALID;

export async function run(events, context) {
  context.logger.info('example plugin started');
  for await (const event of events) {
    if (event.type === BLOCK_VALID) {
      const ids = event.block.transactions.map((tx) => tx.id);
      console.log(
        `[example] block ${event.height}: ${ids.length} valid transaction(s) ${ids.join(' ')}`.trimEnd(),
      );
    } else {
      for (const tx of event.block.rejected) {
        console.log(`[example] block ${event.height}: rejected ${tx.id} (code ${tx.code}: ${tx.reason})`);
      }
    }
  }
}

/** Optional: blocks trimmed from the bus before this plugin took them (its host was down too long). */
export function onGap(gap) {
  const to = gap.resumedAt === null ? 'the end' : `before ${gap.resumedAt.height}`;
  console.log(`[example] missed ${gap.lost ?? 'some'} entries from height ${gap.from.height} to ${to}`);
}

/** Optional: the bus was reset or rolled back; the blocks that follow are another history. */
export function onReset(reset) {
  console.log(`[example] bus ${reset.cause}: epoch ${reset.previousEpoch} -> ${reset.epoch}`);
}
