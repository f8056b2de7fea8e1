/** Delay before restart number `failures` (1, 2, …) in a row: doubling from `minMs`, capped at `maxMs`. */
export function restartDelay(failures: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.max(0, failures - 1));
}
