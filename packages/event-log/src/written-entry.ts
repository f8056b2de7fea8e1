import { comparePositions } from '@blockcast/protocol';
import { positionOfId } from './stream-entry.js';

/**
 * The entry a writer wrote (or found already there, for a duplicate) last. Its next append or emit
 * checks that entry is still there with the same chain: if a rollback lost it and nobody has
 * started a new epoch yet, that write does (stream-lua.ts `writer_lost`), so a history restored
 * under a writer is signalled even when no reader saw the loss.
 */
export interface WrittenEntry {
  id: string;
  chain: string;
  epoch: string;
}

/** The script arguments naming the writer's last entry ('' when it has written nothing yet). */
export function writtenArgs(last: WrittenEntry | undefined): string[] {
  return last === undefined ? ['', '', ''] : [last.id, last.chain, last.epoch];
}

/** The later of two writes (appends in flight together answer in any order). */
export function laterWrite(current: WrittenEntry | undefined, next: WrittenEntry): WrittenEntry {
  if (current === undefined || current.epoch !== next.epoch) return next;
  return comparePositions(positionOfId(next.id), positionOfId(current.id)) >= 0 ? next : current;
}
