/**
 * How `catalog` and `status` print what they found: aligned text for a person (`pretty`, the
 * default on a terminal) or one JSON document for a program (`json`, the default when piped).
 */
import { UsageError } from './exit-codes.js';

export type ReportFormat = 'pretty' | 'json';

export function reportFormat(flag: string | undefined, tty: boolean): ReportFormat {
  const format = flag ?? (tty ? 'pretty' : 'json');
  if (format !== 'pretty' && format !== 'json')
    throw new UsageError(`-o takes pretty or json, not ${JSON.stringify(format)}`);
  return format;
}

/** Rows as columns padded to their widest cell, two spaces apart, each line indented. */
export function table(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows
    .map((row) =>
      `${indent}${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}`.trimEnd(),
    )
    .join('\n');
}
