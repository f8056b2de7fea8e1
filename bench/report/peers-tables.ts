/**
 * Prints the markdown table of bench/results/peers-<scenario>.json files (as bench/scenarios/peers-compare.bench.ts
 * prints at the end of a run), for docs/benchmarks.md.
 *
 *   npx tsx bench/report/peers-tables.ts bench/results/peers-fanout.json [more.json …]
 */
import { readFileSync } from 'node:fs';
import type { PeerRow } from '../scenarios/peers-compare/session.js';
import { printRows } from './peers-rows-table.js';

for (const file of process.argv.slice(2)) {
  const document = JSON.parse(readFileSync(file, 'utf8')) as {
    scenario: string;
    command: string;
    startedAt: string;
    machine: { loadavg?: string };
    rows: PeerRow[];
  };
  // JSON has no NaN: the missing figures come back as null.
  const rows = document.rows.map((row) => ({
    ...row,
    p50Ms: row.p50Ms ?? Number.NaN,
    p99Ms: row.p99Ms ?? Number.NaN,
    maxMs: row.maxMs ?? Number.NaN,
    cpuSecondsPerThousandFrames: row.cpuSecondsPerThousandFrames ?? Number.NaN,
  }));
  printRows(
    `${document.scenario} — \`${document.command}\`, ${document.startedAt}, load ${document.machine.loadavg}`,
    rows,
  );
}
