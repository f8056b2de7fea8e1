/**
 * How deep a parsed body nests, without recursion: the canonical-JSON digest and anything else
 * that walks a block must never meet a body deeper than {@link MAX_JSON_DEPTH}.
 */

/** As deep as the Python nodes (BigchainDB, Planetmint) can parse, so no committed block is deeper. */
export const MAX_JSON_DEPTH = 1000;

/** Segments of the pointer named in the refusal: enough to find the transaction, short enough to read. */
const POINTER_SEGMENTS = 4;

/** The JSON pointer of the part of `value` that nests deeper than `maxDepth`, or undefined. */
export function tooDeepAt(value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  if (!nestsDeeperThan(value, maxDepth)) return undefined;
  return pointerBelow(value, maxDepth);
}

/** The common case, on every block: values and depths only, no paths. */
function nestsDeeperThan(root: unknown, maxDepth: number): boolean {
  const values: unknown[] = [root];
  const depths: number[] = [1];
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Object.values(value)) {
      values.push(child);
      depths.push(depth + 1);
    }
  }
  return false;
}

/** Only for a refusal: walks again with paths to name where the nesting goes too deep. */
function pointerBelow(root: unknown, maxDepth: number): string {
  const stack: { value: unknown; path: string[] }[] = [{ value: root, path: [] }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { value, path } = top;
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= maxDepth) return toPointer(path.slice(0, POINTER_SEGMENTS));
    for (const [key, child] of Object.entries(value)) stack.push({ value: child, path: [...path, key] });
  }
  return '';
}

/** RFC 6901: `~` and `/` inside a segment are escaped. */
export function toPointer(path: string[]): string {
  return path.map((segment) => `/${segment.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}
