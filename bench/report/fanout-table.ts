/** Results of bench/scenarios/gateway-fanout.bench.ts: their shape (also the JSON in bench/results/) and the markdown table. */
import type { GeneratorReport } from '../harness/messages.js';
import { TARGET_LABELS, type TargetName } from '../servers/servers.js';

/** Above this many cores of other work during a window, a result is marked as disturbed. */
export const DISTURBED_CORES = 0.15;

export interface TargetResult {
  target: TargetName;
  serverPids: number;
  connections: { requested: number; open: number; failed: number; seconds: number; errors: string[] };
  delivery: {
    expectedPerClient: number;
    framesTotal: number;
    timedFrames: number;
    complete: number;
    orderErrors: number;
    incomplete: number;
    closedByServer: number;
    lastHeightMin: number;
    lastHeightMax: number;
    problems: string[];
  };
  framesPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; count: number };
  /** Per block, the latency of the first frame anywhere: the pipeline delay without the fan-out spread. */
  firstFrameLatencyMs: { p50: number; max: number };
  cpu: {
    windowSeconds: number;
    serverSeconds: number;
    serverCores: number;
    serverSecondsPer1kFrames: number;
    generatorCores: number;
    redisCores: number;
    driverCores: number;
    machineBusy: number;
    /** Cores busy on the machine beyond the processes of this bench: other work, interference. */
    otherCores: number;
    /** Server cores used while holding the connections with no traffic. */
    idleServerCores: number;
  };
  rss: {
    idleBytes: number;
    connectedBytes: number;
    afterBytes: number;
    perConnectionConnected: number;
    perConnectionAfter: number;
  };
  gatewayMetrics: Record<string, number>;
}

export function firstFrameLatency(
  reports: GeneratorReport[],
  fromHeight: number,
  toHeight: number,
): { p50: number; max: number } {
  const perBlock: number[] = [];
  for (let height = fromHeight; height <= toHeight; height++) {
    const values = reports
      .map((r) => r.firstLatencyMs[height])
      .filter((v): v is number => Number.isFinite(v));
    if (values.length > 0) perBlock.push(Math.min(...values));
  }
  perBlock.sort((a, b) => a - b);
  const round = (value: number | undefined) =>
    value === undefined ? Number.NaN : Math.round(value * 1000) / 1000;
  return { p50: round(perBlock[Math.floor(perBlock.length / 2)]), max: round(perBlock.at(-1)) };
}

function row(r: TargetResult): string {
  const loss =
    r.delivery.complete === r.connections.open && r.connections.failed === 0
      ? 'all'
      : `${r.delivery.complete}`;
  const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
  // Other work on the machine during the window skews latency: mark the row rather than hide it.
  const mark = r.cpu.otherCores > DISTURBED_CORES ? ' †' : '';
  return `| ${TARGET_LABELS[r.target]}${mark} | ${r.connections.open} | ${loss} | ${Math.round(r.framesPerSecond)} | ${f(r.latencyMs.p50)} | ${f(r.latencyMs.p99)} | ${f(r.latencyMs.max)} | ${f(r.firstFrameLatencyMs.p50)} | ${f(r.cpu.serverSecondsPer1kFrames, 4)} | ${f(r.cpu.serverCores)} | ${f(r.cpu.idleServerCores, 3)} | ${f(r.cpu.generatorCores)} | ${f(r.cpu.otherCores)} | ${f(r.rss.perConnectionConnected / 1024, 1)} | ${f(r.rss.perConnectionAfter / 1024, 1)} |`;
}

export function printTable(title: string, results: TargetResult[]): void {
  console.log(`\n${title}\n`);
  console.log(
    '| server | clients | complete | frames/s | p50 ms | p99 ms | max ms | first-frame p50 ms | server CPU s / 1k frames | server cores | server cores idle | loadgen cores | other cores | RSS/conn KiB (connected) | RSS/conn KiB (after run) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const result of results) console.log(row(result));
  if (results.some((r) => r.cpu.otherCores > DISTURBED_CORES))
    console.log(
      `\n† other work on the machine used more than ${DISTURBED_CORES} cores during the window: repeat it.`,
    );
}
