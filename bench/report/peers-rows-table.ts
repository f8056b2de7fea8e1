/** The markdown table of one bench/scenarios/peers-compare.bench.ts run, with blockcast ÷ peer ratios. */
import type { PeerRow } from '../scenarios/peers-compare/session.js';

const number = (value: number | null, digits = 0) =>
  value === null || !Number.isFinite(value)
    ? '–'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits }).replaceAll(',', ' ');

/** blockcast's figure over the peer's for the same connections and offered rate. */
function ratio(rows: PeerRow[], row: PeerRow, pick: (row: PeerRow) => number | null): string {
  const own = rows.find(
    (r) =>
      r.server === 'blockcast' &&
      r.connections === row.connections &&
      r.offeredFramesPerSecond === row.offeredFramesPerSecond,
  );
  const mine = own === undefined ? null : pick(own);
  const theirs = pick(row);
  if (mine === null || theirs === null || !Number.isFinite(mine) || !Number.isFinite(theirs)) return '–';
  // A figure at or below zero (RSS heap noise) makes no ratio.
  if (mine <= 0 || theirs <= 0) return '–';
  return `${(mine / theirs).toFixed(2)}×`;
}

export function printRows(scenario: string, rows: PeerRow[]): void {
  console.log(`\n### ${scenario}\n`);
  console.log(
    '| server | connections (held) | offered frames/s | delivered frames/s | p50 ms | p99 ms | max ms | CPU s / 1 000 frames | RSS / connection | server RSS MiB | lost / dup / reordered | recovered | ÷ frames/s | ÷ CPU/frame | ÷ RSS/conn | ÷ p99 | note |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---|');
  for (const row of rows) {
    const rss =
      row.rssBytesPerConnection === null ? '–' : `${number(row.rssBytesPerConnection / 1024, 1)} KiB`;
    console.log(
      `| ${row.server} | ${number(row.connections)} (${number(row.heldConnections)}) | ${number(row.offeredFramesPerSecond)} | ${number(row.deliveredFramesPerSecond)} | ${number(row.p50Ms, 1)} | ${number(row.p99Ms, 1)} | ${number(row.maxMs, 1)} | ${number(row.cpuSecondsPerThousandFrames, 4)} | ${rss} | ${number(row.serverRssBytes / 2 ** 20, 1)} | ${row.lost} / ${row.duplicated} / ${row.reordered} | ${row.recovered ?? '–'} | ${ratio(rows, row, (r) => r.deliveredFramesPerSecond)} | ${ratio(rows, row, (r) => r.cpuSecondsPerThousandFrames)} | ${ratio(rows, row, (r) => r.rssBytesPerConnection)} | ${ratio(rows, row, (r) => r.p99Ms)} | ${row.note} |`,
    );
  }
}
