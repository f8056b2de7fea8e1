/**
 * Numbers a parsed body cannot keep exactly. JSON.parse turns `1e400` into Infinity (written back
 * as `null`) and `18446744073709551617` into 18446744073709552000, so two different bodies would
 * be stored as one and compare as duplicates. Such numbers are refused, never altered.
 */
import { toPointer } from './json-depth.js';

/** Infinite, or an integer that a double holds only approximately (beyond ±(2^53 − 1)). */
function isUnsafeNumber(value: unknown): boolean {
  return (
    typeof value === 'number' &&
    (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value)))
  );
}

/** The JSON pointer of the first unsafe number in `value` (document order), or undefined. */
export function unsafeNumberAt(root: unknown): string | undefined {
  return holdsUnsafeNumber(root) ? pointerToUnsafeNumber(root) : undefined;
}

/** The common case, on every body: values only, no paths. */
function holdsUnsafeNumber(root: unknown): boolean {
  const values: unknown[] = [root];
  while (values.length > 0) {
    const value = values.pop();
    if (isUnsafeNumber(value)) return true;
    if (value === null || typeof value !== 'object') continue;
    for (const child of Object.values(value)) values.push(child);
  }
  return false;
}

/** Only for a refusal: walks again with paths, children in reverse so the first one is named. */
function pointerToUnsafeNumber(root: unknown): string {
  const stack: { value: unknown; path: string[] }[] = [{ value: root, path: [] }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { value, path } = top;
    if (isUnsafeNumber(value)) return toPointer(path);
    if (value === null || typeof value !== 'object') continue;
    const entries = Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i -= 1) {
      const [key, child] = entries[i]!;
      stack.push({ value: child, path: [...path, key] });
    }
  }
  return '';
}
