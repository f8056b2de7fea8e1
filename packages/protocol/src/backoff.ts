/**
 * Delay before retry number `failures` (1, 2, …) in a row: doubling from `firstMs`, capped at
 * `maxMs`, so a dependency that is down is asked ever less often but never given up on.
 */
export function cappedBackoff(failures: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, failures - 1));
}
