/**
 * Where an application stands in a stream, advanced only by frames its handler has returned
 * from: the exact position everything up to which was delivered, and the frames delivered after
 * it (the block in progress). After a cut the SDK resumes from `since` and drops those frames —
 * the resume rule of docs/protocol.md — and a restarted process does the same from its store.
 */
import { comparePositions, formatPosition, type Position, parsePosition } from '@blockcast/protocol/client';
import { type AnyFrame, frameKey, framePosition } from './frames.js';

export interface ResumePoint {
  /** The history the position belongs to; null while the stream has none (empty). */
  epoch: string | null;
  /** Every frame up to this position (`H` or `H-S`) was delivered; null: none known yet. */
  since: string | null;
  /** Keys of the frames delivered after `since` (on `valid_tx`, whose frames have no height: all since the last known position). */
  delivered: string[];
}

export type Acceptance =
  | { deliver: false }
  | { deliver: true; point: ResumePoint; position: Position | undefined };

/** Whether a frame is new after `point`, and the point once it is delivered. */
export function accept(point: ResumePoint, frame: AnyFrame): Acceptance {
  const key = frameKey(frame);
  const position = framePosition(frame);
  if (position === undefined) {
    if (point.delivered.includes(key)) return { deliver: false };
    return { deliver: true, position, point: { ...point, delivered: [...point.delivered, key] } };
  }
  const since = point.since === null ? undefined : parsePosition(point.since);
  if (position.seq > 0) {
    // A generic event is one frame: once delivered, its own position is exact.
    if (since !== undefined && covers(since, position)) return { deliver: false };
    return { deliver: true, position, point: { ...point, since: formatPosition(position), delivered: [] } };
  }
  if (since !== undefined) {
    const inProgress = point.delivered.length > 0 && since.seq === 0 && position.height === since.height + 1;
    if (inProgress) {
      if (point.delivered.includes(key)) return { deliver: false };
      return { deliver: true, position, point: { ...point, delivered: [...point.delivered, key] } };
    }
    if (position.height <= since.height) return { deliver: false };
  }
  // The first frame of a block: every block before it is complete.
  const before = position.height > 0 ? String(position.height - 1) : point.since;
  return { deliver: true, position, point: { ...point, since: before, delivered: [key] } };
}

/** Whether cursor `since` already includes the generic event at `position` (`H` includes every `H-S`). */
export function covers(since: Position, position: Position): boolean {
  if (position.height !== since.height) return position.height < since.height;
  return since.seq === 0 || comparePositions(position, since) <= 0;
}

/** After a blockcast close frame: the server names the exact position; nothing after it was sent. */
export function closedAt(point: ResumePoint, since: string, epoch: string | null): ResumePoint {
  return { epoch: epoch ?? point.epoch, since, delivered: [] };
}
