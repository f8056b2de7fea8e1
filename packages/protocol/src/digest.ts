import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so two submissions of the same block that
 * differ only in key order (different clients, different serialisers) hash the same.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const fields = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${fields.join(',')}}`;
}

export function blockDigest(block: unknown): string {
  return createHash('sha256').update(canonicalJson(block)).digest('hex');
}
