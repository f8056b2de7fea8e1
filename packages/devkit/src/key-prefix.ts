import { randomUUID } from 'node:crypto';

/** A key prefix no other test or bench run uses, so they share one Redis without seeing each other. */
export function uniquePrefix(label: string): string {
  return `test:${label}:${randomUUID().slice(0, 8)}:`;
}
