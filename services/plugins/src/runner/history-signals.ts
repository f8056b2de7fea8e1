import type { HistoryGap, HistoryReset } from '@blockcast/event-log';
import { formatPosition } from '@blockcast/protocol';

/** The log line of a gap: which positions and blocks were lost, and why. */
export function describeGap(gap: HistoryGap): string {
  const to = gap.resumedAt === null ? 'the end of the bus' : `before ${formatPosition(gap.resumedAt)}`;
  const lost = gap.lost === null ? 'an unknown number of entries' : `${gap.lost} entries`;
  const firstBlock = gap.from.seq === 0 ? gap.from.height : gap.from.height + 1;
  const lastBlock =
    gap.resumedAt === null ? undefined : gap.resumedAt.height - (gap.resumedAt.seq === 0 ? 1 : 0);
  const blocks =
    lastBlock === undefined
      ? `blocks from ${firstBlock}`
      : lastBlock >= firstBlock
        ? `blocks ${firstBlock}..${lastBlock}`
        : 'no whole block';
  return `history gap: ${lost} (${blocks}) from ${formatPosition(gap.from)} to ${to} were trimmed by retention before the plugin took them and will never be delivered`;
}

/** The log line of a reset: the two epochs, and where delivery goes on. */
export function describeReset(reset: HistoryReset): string {
  const happened =
    reset.cause === 'reset' ? 'the bus was recreated' : 'the bus went back below what the plugin took';
  const from =
    reset.cause === 'reset'
      ? 'delivering the new history from its start'
      : 'delivering on from where the group stands in it (events taken before may come again, changed)';
  return `history ${reset.cause}: ${happened} (epoch ${reset.previousEpoch ?? 'none'} → ${reset.epoch ?? 'none'}); ${from}`;
}
