/** Defaults and checks shared by every EventLog implementation, so they cannot drift apart. */

/** Blocks fetched per tail read when `TailOptions.batchSize` is not given. */
export const DEFAULT_TAIL_BATCH = 100;

export function assertFirstHeight(firstHeight: number): void {
  if (!Number.isSafeInteger(firstHeight) || firstHeight < 1) {
    throw new RangeError(`firstHeight must be an integer >= 1, got ${firstHeight}`);
  }
}

export function assertRetainBlocks(retainBlocks: number): void {
  // At least one block must stay: the top is what the next append is checked against.
  if (!Number.isSafeInteger(retainBlocks) || retainBlocks < 1) {
    throw new RangeError(`retainBlocks must be an integer >= 1, got ${retainBlocks}`);
  }
}
