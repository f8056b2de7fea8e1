import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so two submissions of the same block that
 * differ only in key order (different clients, different serialisers) hash the same.
 * Written as one recursive append (no intermediate arrays): it runs on every ingested block.
 */
export function canonicalJson(value: unknown): string {
  return appendCanonical('', value);
}

function appendCanonical(out: string, value: unknown): string {
  if (value === null || typeof value !== 'object') return out + (JSON.stringify(value) ?? 'null');
  if (Array.isArray(value)) {
    out += '[';
    for (let i = 0; i < value.length; i += 1) {
      if (i > 0) out += ',';
      out = appendCanonical(out, value[i] === undefined ? null : value[i]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  out += '{';
  let first = true;
  for (const key of keys) {
    const field = record[key];
    if (field === undefined) continue;
    out += first ? JSON.stringify(key) : `,${JSON.stringify(key)}`;
    out = appendCanonical(`${out}:`, field);
    first = false;
  }
  return `${out}}`;
}

export function blockDigest(block: unknown): string {
  return createHash('sha256').update(canonicalJson(block)).digest('hex');
}
