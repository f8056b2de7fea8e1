/**
 * Slow consumers (issue 7, 6a): N `valid_transactions` clients on one gateway, blocks of K
 * transactions at B blocks/s; after a phase with every client reading, a share of them stops
 * reading (the socket is paused: the kernel buffers fill, then the gateway's) for P seconds and
 * then reads again. Measures the other clients' latency (append → frame read) in each phase
 * against the first one, the gateway's RSS and CPU over time, its catch-up counters, and checks
 * every client's sequence — the paused ones too: every frame once and in order, nobody closed.
 *
 *   npx tsx bench/scenarios/gateway-slow-consumers.bench.ts [--connections 10000] [--stalled-percent 5]
 *     [--pause-seconds 60] [--before-seconds 20] [--after-seconds 30] [--tx-per-block 20]
 *     [--blocks-per-second 5] [--slow-client-bytes N] [--generators 2] [--no-pin]
 *     [--targets blockcast,raw-uws] [--paused-generator] [--server-node-flags="--cpu-prof …"]
 *
 * `--targets` runs the same schedule against each server in turn (the raw uWS publish loop tells
 * what the kernel and uWS cost from what the gateway adds); `--paused-generator` puts the paused
 * clients in a load generator of their own, so the measured ones share no process with them.
 * Server on CPU 0, everything else on CPU 1. Prints markdown; writes JSON to bench/results/.
 */
import { parseArgs } from 'node:util';
import { DemoLedger } from '@blockcast/demo-chain';
import { type BlockEvent, normaliseBlock, validTransactionFrame } from '@blockcast/protocol';
import { monotonicMs, rssBytes } from '../harness/proc.js';
import { type Generator, startRedis } from '../harness/processes.js';
import {
  appendOnSchedule,
  CPUS,
  type CpuReading,
  collectReports,
  commandLine,
  connectClients,
  coresBetween,
  integerOption,
  type Latency,
  log,
  type MergedReport,
  newGenerators,
  pinDriver,
  readCpu,
  serverPin,
  sourceAddresses,
  waitSettled,
  writeResult,
} from '../harness/scenario.js';
import { startServer, TARGETS, type TargetName } from '../servers/servers.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '10000' },
    'stalled-percent': { type: 'string', default: '5' },
    'pause-seconds': { type: 'string', default: '60' },
    'before-seconds': { type: 'string', default: '20' },
    'after-seconds': { type: 'string', default: '30' },
    'warmup-seconds': { type: 'string', default: '2' },
    'tx-per-block': { type: 'string', default: '20' },
    'blocks-per-second': { type: 'string', default: '5' },
    /** GATEWAY_SLOW_CLIENT_BYTES for the gateway; unset: the gateway's default (1 MiB). */
    'slow-client-bytes': { type: 'string' },
    generators: { type: 'string', default: '2' },
    'no-pin': { type: 'boolean', default: false },
    /** Servers to run the schedule against, in turn: blockcast, raw-uws (ws cannot keep up). */
    targets: { type: 'string', default: 'blockcast' },
    /** The paused clients in a load generator of their own instead of every EVERY-th of each. */
    'paused-generator': { type: 'boolean', default: false },
    /** Extra node flags for the server, space-separated: --server-node-flags="--cpu-prof --cpu-prof-dir=/tmp/prof". */
    'server-node-flags': { type: 'string', default: '' },
    out: { type: 'string', default: '' },
  },
});

const CONNECTIONS = integerOption('connections', values.connections, 20, 19_000);
const STALLED_PERCENT = integerOption('stalled-percent', values['stalled-percent'], 0, 50);
const PAUSE_SECONDS = integerOption('pause-seconds', values['pause-seconds'], 1, 110);
const BEFORE_SECONDS = integerOption('before-seconds', values['before-seconds'], 1, 120);
const AFTER_SECONDS = integerOption('after-seconds', values['after-seconds'], 1, 120);
const WARMUP_SECONDS = integerOption('warmup-seconds', values['warmup-seconds'], 0, 10);
const TX_PER_BLOCK = integerOption('tx-per-block', values['tx-per-block'], 1, 1000);
const BLOCKS_PER_SECOND = integerOption('blocks-per-second', values['blocks-per-second'], 1, 100);
const GENERATORS = integerOption('generators', values.generators, 1, 4);
const PIN = !values['no-pin'] && CPUS >= 2;
const EVERY = STALLED_PERCENT === 0 ? Number.POSITIVE_INFINITY : Math.round(100 / STALLED_PERCENT);
const PAUSED_GENERATOR = values['paused-generator'] && STALLED_PERCENT > 0;
/** With a paused generator: how many clients it holds (the others' generators hold the rest). */
const PAUSED_CLIENTS = PAUSED_GENERATOR ? Math.round((CONNECTIONS * STALLED_PERCENT) / 100) : 0;
const SELECTED = values.targets.split(',').map((name) => {
  if (!(TARGETS as readonly string[]).includes(name) || name === 'ws')
    throw new RangeError(`--targets: blockcast or raw-uws, got ${name}`);
  return name as TargetName;
});

const WARMUP_BLOCKS = WARMUP_SECONDS * BLOCKS_PER_SECOND;
/** First height of each phase: all reading, some paused, all reading again. */
const PAUSE_HEIGHT = WARMUP_BLOCKS + BEFORE_SECONDS * BLOCKS_PER_SECOND + 1;
const RESUME_HEIGHT = PAUSE_HEIGHT + PAUSE_SECONDS * BLOCKS_PER_SECOND;
const TOTAL_BLOCKS = RESUME_HEIGHT - 1 + AFTER_SECONDS * BLOCKS_PER_SECOND;
const PHASES = ['all reading', `${STALLED_PERCENT} % paused`, 'paused ones reading again'];
/** After the last block, time for the paused clients to get the rest. */
const SETTLE_TIMEOUT_MS = 120_000;

interface RssSample {
  seconds: number;
  height: number;
  rssMiB: number;
  catchUpSockets?: number;
}

interface Blocks {
  events: BlockEvent[];
  frames: string[][];
}

async function main(): Promise<void> {
  const machine = pinDriver(PIN);
  const ledger = new DemoLedger();
  const events = Array.from({ length: TOTAL_BLOCKS }, () =>
    normaliseBlock(ledger.nextBlock(TX_PER_BLOCK), 0),
  );
  // The baseline publishes what the gateway would: the same frames, built the same way.
  const frames = events.map((event) =>
    event.transactions.map((tx) => validTransactionFrame('bigchaindb', event.height, tx)),
  );
  const redis = await startRedis();
  const results: TargetResult[] = [];
  try {
    for (const [index, target] of SELECTED.entries())
      results.push(await runTarget(target, index, { events, frames }, redis));
  } finally {
    await redis.stop();
  }
  const scenario = {
    connections: CONNECTIONS,
    stalledEvery: PAUSED_GENERATOR ? null : EVERY,
    pausedGenerator: PAUSED_GENERATOR ? PAUSED_CLIENTS : null,
    pauseSeconds: PAUSE_SECONDS,
    txPerBlock: TX_PER_BLOCK,
    blocksPerSecond: BLOCKS_PER_SECOND,
    offeredFramesPerSecond: CONNECTIONS * TX_PER_BLOCK * BLOCKS_PER_SECOND,
    totalBlocks: TOTAL_BLOCKS,
    pinned: PIN,
    command: commandLine('bench/scenarios/gateway-slow-consumers.bench.ts'),
  };
  // One target keeps the file's old shape (its fields at the top); several go under `targets`.
  const suffix = `${PAUSED_GENERATOR ? '-paused-generator' : ''}${SELECTED.length > 1 ? `-${SELECTED.join('-')}` : ''}`;
  writeResult(
    values.out || `gateway-slow-consumers-${CONNECTIONS}c${suffix}`,
    results.length === 1 ? { machine, scenario, ...results[0]! } : { machine, scenario, targets: results },
  );
  for (const result of results) printReport(scenario, result);
}

interface TargetResult {
  target: TargetName;
  gatewayEnv: Record<string, string>;
  connected: unknown;
  settled: unknown;
  delivery: Omit<MergedReport, 'phaseLatency' | 'latency'>;
  phases: PhaseResult[];
  rssSamples: RssSample[];
  gatewayMetrics: Record<string, number>;
}

interface PhaseResult {
  name: string;
  heights: number[];
  othersLatencyMs: Latency;
  /** The p99 of each block's frames, over the phase's blocks: a burst on a shared machine moves few of them. */
  othersBlockP99Ms: { median: number; p90: number; max: number };
  gatewayCores: number;
  generatorCores: number;
  machineCores: number;
  rssMiB: { min: number; max: number };
  p99VsAllReading: number;
  medianBlockP99VsAllReading: number;
}

/** Median, p90 and max of the per-block p99s of heights [from, to]. */
function spread(byHeight: Record<number, number>, from: number, to: number) {
  const values = Object.entries(byHeight)
    .filter(([height]) => Number(height) >= from && Number(height) <= to)
    .map(([, ms]) => ms)
    .sort((a, b) => a - b);
  const at = (q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? Number.NaN;
  return { median: at(0.5), p90: at(0.9), max: values.at(-1) ?? Number.NaN };
}

/** The measured clients' generators, then (with --paused-generator) the one holding the paused ones. */
async function connectAll(
  generators: Generator[],
  urls: string[],
  targetIndex: number,
): Promise<ReturnType<typeof connectClients>> {
  const spec = {
    urls: () => urls,
    concurrency: 128,
    clientKind: 'raw' as const,
    txPerBlock: TX_PER_BLOCK,
    lastHeight: TOTAL_BLOCKS,
    warmupHeights: WARMUP_BLOCKS,
    phaseStarts: [PAUSE_HEIGHT, RESUME_HEIGHT],
    blockLatency: true,
  };
  // Fresh source addresses per target: the previous target's TIME_WAIT sockets slow binding.
  const base = 20 * targetIndex;
  const others = generators.slice(0, GENERATORS);
  const measured = await connectClients(others, {
    ...spec,
    count: CONNECTIONS - PAUSED_CLIENTS,
    addresses: (g) => sourceAddresses(base + 2 * g, 2),
  });
  if (!PAUSED_GENERATOR) return measured;
  const paused = await connectClients(generators.slice(GENERATORS), {
    ...spec,
    count: PAUSED_CLIENTS,
    addresses: () => sourceAddresses(base + 2 * GENERATORS, 2),
  });
  return {
    open: measured.open + paused.open,
    failed: measured.failed + paused.failed,
    seconds: measured.seconds + paused.seconds,
    errors: [...measured.errors, ...paused.errors],
  };
}

async function runTarget(
  target: TargetName,
  targetIndex: number,
  blocks: Blocks,
  redis: Awaited<ReturnType<typeof startRedis>>,
): Promise<TargetResult> {
  log(
    `\n== ${target}: ${CONNECTIONS} clients${PAUSED_GENERATOR ? `, ${PAUSED_CLIENTS} paused in their own generator` : ''}`,
  );
  const gatewayEnv: Record<string, string> = {};
  if (values['slow-client-bytes'] !== undefined)
    gatewayEnv.GATEWAY_SLOW_CLIENT_BYTES = values['slow-client-bytes'];
  const server = await startServer(target, {
    processes: 1,
    pin: serverPin(PIN),
    nodeFlags: values['server-node-flags'].split(' ').filter((flag) => flag !== ''),
    events: blocks.events,
    frames: blocks.frames,
    redis: redis.client,
    redisUrl: redis.url,
    gatewayEnv,
    // The gateway keeps a paused reader until its stall limit; the baseline must not cut it either.
    baselineEnv: { BENCH_KEEP_IDLE: '1' },
  });
  const generators = newGenerators(GENERATORS + (PAUSED_GENERATOR ? 1 : 0));
  const gatewayPid = server.pids[0]!;
  const withMetrics = target === 'blockcast';
  try {
    const connected = await connectAll(generators, server.urls, targetIndex);

    const started = monotonicMs();
    const rss: RssSample[] = [];
    let height = 0;
    const sample = async (readMetrics: boolean) => {
      const entry: RssSample = {
        seconds: Math.round((monotonicMs() - started) / 100) / 10,
        height,
        rssMiB: Math.round((rssBytes(gatewayPid) / 2 ** 20) * 10) / 10,
      };
      if (readMetrics && withMetrics)
        entry.catchUpSockets = (await server.metrics()).blockcast_gateway_catch_up_sockets;
      rss.push(entry);
    };
    const cpuAt: CpuReading[] = [];
    // The load generators share CPU 1: their load per phase tells client-side delay from the gateway's.
    const generatorCpuAt: CpuReading[] = [];
    const generatorPids = generators.map((g) => g.child.pid!);
    const phaseStart = new Set([WARMUP_BLOCKS + 1, PAUSE_HEIGHT, RESUME_HEIGHT]);
    // With a generator of their own, every client in it pauses; otherwise every EVERY-th of each.
    const pausing = PAUSED_GENERATOR ? generators.slice(GENERATORS) : STALLED_PERCENT > 0 ? generators : [];
    const every = PAUSED_GENERATOR ? 1 : EVERY;
    let lastSample = 0;
    await appendOnSchedule(server, generators, 0, TOTAL_BLOCKS, BLOCKS_PER_SECOND, async (index) => {
      height = index + 1;
      // The block before a phase's first height is the last of the previous phase.
      if (phaseStart.has(height + 1) || height === TOTAL_BLOCKS) {
        cpuAt.push(readCpu([gatewayPid]));
        generatorCpuAt.push(readCpu(generatorPids));
      }
      if (height + 1 === PAUSE_HEIGHT) {
        log(`height ${height}: pausing every ${every}th client of ${pausing.length} generator(s)`);
        for (const generator of pausing) generator.send({ type: 'pause', every });
      }
      if (height + 1 === RESUME_HEIGHT) {
        log(`height ${height}: the paused clients read again`);
        for (const generator of pausing) generator.send({ type: 'resume' });
      }
      if (monotonicMs() - lastSample >= 1000) {
        lastSample = monotonicMs();
        await sample(rss.length % 5 === 0);
      }
    });
    const settled = await waitSettled(generators, () => TOTAL_BLOCKS, monotonicMs(), SETTLE_TIMEOUT_MS);
    await sample(true);
    log(`all clients at ${TOTAL_BLOCKS}: ${settled.reached} after ${(settled.ms / 1000).toFixed(1)} s`);
    const report = await collectReports(generators);
    const metrics = await server.metrics();

    const phases = PHASES.map((name, i) => {
      const cores = coresBetween(cpuAt[i]!, cpuAt[i + 1]!);
      const from = [WARMUP_BLOCKS + 1, PAUSE_HEIGHT, RESUME_HEIGHT][i]!;
      const to = [PAUSE_HEIGHT - 1, RESUME_HEIGHT - 1, TOTAL_BLOCKS][i]!;
      const inPhase = rss.filter((s) => s.height >= from - 1 && s.height <= to);
      return {
        name,
        heights: [from, to],
        othersLatencyMs: report.phaseLatency[i + 0]!,
        othersBlockP99Ms: spread(report.blockP99Ms, from, to),
        gatewayCores: cores.processCores,
        generatorCores: coresBetween(generatorCpuAt[i]!, generatorCpuAt[i + 1]!).processCores,
        machineCores: cores.machineCores,
        rssMiB: {
          min: Math.min(...inPhase.map((s) => s.rssMiB)),
          max: Math.max(...inPhase.map((s) => s.rssMiB)),
        },
      };
    });
    const baseline = phases[0]!.othersLatencyMs.p99;
    const blockBaseline = phases[0]!.othersBlockP99Ms.median;
    return {
      target,
      gatewayEnv,
      connected,
      settled,
      delivery: withoutLatency(report),
      phases: phases.map((p) => ({
        ...p,
        p99VsAllReading: p.othersLatencyMs.p99 / baseline,
        medianBlockP99VsAllReading: p.othersBlockP99Ms.median / blockBaseline,
      })),
      rssSamples: rss,
      gatewayMetrics: metrics,
    };
  } finally {
    await Promise.all(generators.map((g) => g.stop()));
    await server.stop();
  }
}

function withoutLatency(report: MergedReport): TargetResult['delivery'] {
  const { phaseLatency: _phases, latency: _all, ...rest } = report;
  return rest;
}

function printReport(
  scenario: { connections: number; offeredFramesPerSecond: number },
  result: TargetResult,
): void {
  const f = (n: number, d = 1) => n.toFixed(d);
  console.log(
    `\n${result.target}: ${scenario.connections} clients, offered ${scenario.offeredFramesPerSecond} frames/s\n`,
  );
  console.log(
    '| phase | heights | others p50 ms | others p99 ms | others max ms | p99 vs all reading | median block p99 ms | vs all reading | server cores | loadgen cores | machine cores | server RSS MiB |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const p of result.phases)
    console.log(
      `| ${p.name} | ${p.heights.join('–')} | ${f(p.othersLatencyMs.p50)} | ${f(p.othersLatencyMs.p99)} | ${f(p.othersLatencyMs.max)} | ${f(p.p99VsAllReading, 2)}× | ${f(p.othersBlockP99Ms.median)} | ${f(p.medianBlockP99VsAllReading, 2)}× | ${f(p.gatewayCores, 2)} | ${f(p.generatorCores, 2)} | ${f(p.machineCores, 2)} | ${f(p.rssMiB.min)}–${f(p.rssMiB.max)} |`,
    );
  const d = result.delivery;
  console.log(
    `\ndelivery: ${d.complete}/${d.clients} complete, ${d.orderErrors} with order errors, ${d.closedByServer} closed; paused: ${JSON.stringify(d.paused)}`,
  );
  const m = result.gatewayMetrics;
  const pick = Object.keys(m).filter((k) => /catch_up|slow_clients|gaps|connections_closed/.test(k));
  console.log(`gateway: ${pick.map((k) => `${k}=${m[k]}`).join(', ')}`);
}

await main();
