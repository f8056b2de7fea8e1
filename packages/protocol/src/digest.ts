import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so two submissions of the same block that
 * differ only in key order (different clients, different serialisers) hash the same.
 * A loop over an explicit stack, not recursion: a body nested thousands of levels deep must not
 * overflow the call stack. Appends to one string: it runs on every ingested block.
 */
export function canonicalJson(value: unknown): string {
  let out = '';
  const open: Container[] = [];
  let pending = true;
  let next = value;
  for (;;) {
    if (pending) {
      pending = false;
      if (next === null || typeof next !== 'object') {
        out += JSON.stringify(next) ?? 'null';
      } else if (Array.isArray(next)) {
        out += '[';
        open.push({ items: next, index: 0 });
      } else {
        const record = next as Record<string, unknown>;
        out += '{';
        open.push({ record, keys: Object.keys(record).sort(), index: 0, written: 0 });
      }
    }
    const container = open.at(-1);
    if (container === undefined) return out;
    if ('items' in container) {
      if (container.index === container.items.length) {
        out += ']';
        open.pop();
        continue;
      }
      if (container.index > 0) out += ',';
      const item = container.items[container.index++];
      next = item === undefined ? null : item;
      pending = true;
      continue;
    }
    const { record, keys } = container;
    // Undefined fields are left out, as JSON.stringify does.
    while (container.index < keys.length && record[keys[container.index]!] === undefined) container.index++;
    if (container.index === keys.length) {
      out += '}';
      open.pop();
      continue;
    }
    const key = keys[container.index++]!;
    out += `${container.written++ > 0 ? ',' : ''}${JSON.stringify(key)}:`;
    next = record[key];
    pending = true;
  }
}

type Container =
  | { items: unknown[]; index: number }
  | { record: Record<string, unknown>; keys: string[]; index: number; written: number };

export function blockDigest(block: unknown): string {
  return createHash('sha256').update(canonicalJson(block)).digest('hex');
}
