/**
 * The verifier of the fault scenarios: compares what a client delivered, segment by segment, with
 * the frames the committed blocks must produce — no gap, no duplicate, no reordering, no changed
 * content. A segment is one unbroken run after a position; a new one starts only after a
 * documented signal (4011 RESET, 4010, 409 EPOCH_MISMATCH, 410 HISTORY_GONE), so anything else
 * that breaks the sequence counts against the gateway.
 */
import type { DeliverySegment } from './resuming-client.js';

export interface DeliveryCheck {
  /** Frames the blocks required, over every segment. */
  checked: number;
  /** Required frames never delivered. */
  lost: number;
  /** Frames delivered more than once within a segment. */
  duplicated: number;
  /** Frames delivered after a frame that should have come after them. */
  reordered: number;
  /** Frames delivered that no block produces (changed content or another history's block). */
  changed: number;
  problems: string[];
}

/**
 * The frames one committed block must produce on the client's stream, in the history of the
 * segment (its epoch); undefined if not committed.
 */
export type FramesOfBlock = (height: number, segment: DeliverySegment) => readonly string[] | undefined;

/** Where the event log stands when the check runs. */
export interface FinalLog {
  /** Its newest height: the last segment must reach it. */
  last: number;
  /** Its oldest height: a history that began above 1 (an empty restart) has nothing below it. */
  first: number;
}

/**
 * Checks every segment: each must hold exactly the frames of the blocks after its `since`, in
 * order; an earlier one up to its last block (whole — or, when the client was cut and then told
 * its history had changed, 409 EPOCH_MISMATCH, as much of that block as arrived before the cut),
 * the last one up to the log's newest.
 */
export function verifyDelivery(
  segments: readonly DeliverySegment[],
  framesOf: FramesOfBlock,
  log: FinalLog,
): DeliveryCheck {
  const total: DeliveryCheck = { checked: 0, lost: 0, duplicated: 0, reordered: 0, changed: 0, problems: [] };
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    const end = last ? log.last : (heightOf(segment.frames.at(-1)) ?? segment.since);
    const start = last ? Math.max(segment.since, log.first - 1) : segment.since;
    const expected: string[] = [];
    for (let height = start + 1; height <= end; height += 1) {
      const frames = framesOf(height, segment);
      if (frames === undefined) total.problems.push(`segment ${index}: height ${height} was never committed`);
      else expected.push(...frames);
    }
    // A history left after a cut may end inside its last block: what arrived of it must be its start.
    if (!last && segments[index + 1]?.startedBy === 'EPOCH_MISMATCH') {
      const atEnd = segment.frames.filter((frame) => heightOf(frame) === end).length;
      const whole = framesOf(end, segment)?.length ?? 0;
      expected.splice(expected.length - whole + atEnd, whole - atEnd);
    }
    addSegment(total, index, segment, expected);
  });
  return total;
}

/**
 * The same check on `events` with generic events, whose history is not a function of the height:
 * each segment is compared with the frames of the history of its epoch (`framesAfter(segment)`:
 * every frame after the segment's position, in bus order, as the log held them), an earlier
 * segment up to the last frame it received, the last one to the end.
 */
export function verifyEntryDelivery(
  segments: readonly DeliverySegment[],
  framesAfter: (segment: DeliverySegment) => readonly string[],
): DeliveryCheck {
  const total: DeliveryCheck = { checked: 0, lost: 0, duplicated: 0, reordered: 0, changed: 0, problems: [] };
  segments.forEach((segment, index) => {
    let expected = framesAfter(segment);
    if (index < segments.length - 1) {
      const end = expected.indexOf(segment.frames.at(-1) ?? '');
      expected = expected.slice(0, end + 1);
    }
    addSegment(total, index, segment, expected);
  });
  return total;
}

/** Compares one segment with what it should hold and adds the counts (and its first difference) to `total`. */
function addSegment(
  total: DeliveryCheck,
  index: number,
  segment: DeliverySegment,
  expected: readonly string[],
): void {
  const check = compareFrames(expected, segment.frames);
  total.checked += expected.length;
  total.lost += check.lost;
  total.duplicated += check.duplicated;
  total.reordered += check.reordered;
  total.changed += check.changed;
  if (check.firstDifference !== undefined) {
    const at = check.firstDifference;
    const since = segment.sinceSeq ? `${segment.since}-${segment.sinceSeq}` : segment.since;
    total.problems.push(
      `segment ${index} (since ${since}, epoch ${segment.epoch}, after ${segment.startedBy}): frame ${at} is ` +
        `${segment.frames[at] ?? '(missing)'}, expected ${expected[at] ?? '(nothing more)'}`,
    );
  }
}

interface FrameComparison {
  lost: number;
  duplicated: number;
  reordered: number;
  changed: number;
  firstDifference: number | undefined;
}

function compareFrames(expected: readonly string[], actual: readonly string[]): FrameComparison {
  const position = new Map(expected.map((frame, index) => [frame, index]));
  const seen = new Set<string>();
  let duplicated = 0;
  let changed = 0;
  let reordered = 0;
  let furthest = -1;
  for (const frame of actual) {
    if (seen.has(frame)) {
      duplicated += 1;
      continue;
    }
    seen.add(frame);
    const index = position.get(frame);
    if (index === undefined) changed += 1;
    else if (index < furthest) reordered += 1;
    else furthest = index;
  }
  const lost = expected.filter((frame) => !seen.has(frame)).length;
  const length = Math.max(expected.length, actual.length);
  let firstDifference: number | undefined;
  for (let index = 0; index < length && firstDifference === undefined; index += 1) {
    if (expected[index] !== actual[index]) firstDifference = index;
  }
  return { lost, duplicated, reordered, changed, firstDifference };
}

function heightOf(frame: string | undefined): number | undefined {
  return frame === undefined ? undefined : (JSON.parse(frame) as { height: number }).height;
}

/** Sums the checks of many clients, keeping the first few problems. */
export function sumChecks(checks: readonly DeliveryCheck[]): DeliveryCheck {
  const total: DeliveryCheck = { checked: 0, lost: 0, duplicated: 0, reordered: 0, changed: 0, problems: [] };
  checks.forEach((check, client) => {
    total.checked += check.checked;
    total.lost += check.lost;
    total.duplicated += check.duplicated;
    total.reordered += check.reordered;
    total.changed += check.changed;
    for (const problem of check.problems)
      if (total.problems.length < 5) total.problems.push(`client ${client}: ${problem}`);
  });
  return total;
}
