/**
 * Slow consumers (issue 7, 6a): N `valid_transactions` clients on one gateway, blocks of K
 * transactions at B blocks/s; after a phase with every client reading, a share of them stops
 * reading (the socket is paused: the kernel buffers fill, then the gateway's) for P seconds and
 * then reads again. Measures the other clients' latency (append → frame read) in each phase
 * against the first one, the gateway's RSS and CPU over time, its catch-up counters, and checks
 * every client's sequence — the paused ones too: every frame once and in order, nobody closed.
 *
 *   npx tsx bench/gateway-slow-consumers.ts [--connections 10000] [--stalled-percent 5]
 *     [--pause-seconds 60] [--before-seconds 20] [--after-seconds 30] [--tx-per-block 20]
 *     [--blocks-per-second 5] [--slow-client-bytes N] [--generators 2] [--no-pin]
 *
 * Gateway on CPU 0, everything else on CPU 1. Prints markdown; writes JSON to bench/results/.
 */
import { parseArgs } from 'node:util';
import { DemoLedger } from '@blockcast/devkit';
import { normaliseBlock } from '@blockcast/protocol';
import { startRedis } from './gateway-bench-processes.js';
import { monotonicMs, rssBytes } from './gateway-bench-shared.js';
import {
  appendOnSchedule,
  CPUS,
  type CpuReading,
  collectReports,
  commandLine,
  connectClients,
  coresBetween,
  integerOption,
  log,
  newGenerators,
  pinDriver,
  readCpu,
  serverPin,
  sourceAddresses,
  waitSettled,
  writeResult,
} from './gateway-scenario.js';
import { startServer } from './gateway-servers.js';

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
const EVERY = Math.round(100 / STALLED_PERCENT);

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

async function main(): Promise<void> {
  const machine = pinDriver(PIN);
  const ledger = new DemoLedger();
  const events = Array.from({ length: TOTAL_BLOCKS }, () =>
    normaliseBlock(ledger.nextBlock(TX_PER_BLOCK), 0),
  );
  const redis = await startRedis();
  const gatewayEnv: Record<string, string> = {};
  if (values['slow-client-bytes'] !== undefined)
    gatewayEnv.GATEWAY_SLOW_CLIENT_BYTES = values['slow-client-bytes'];
  const server = await startServer('blockcast', {
    processes: 1,
    pin: serverPin(PIN),
    nodeFlags: [],
    events,
    frames: [],
    redis: redis.client,
    redisUrl: redis.url,
    gatewayEnv,
  });
  const generators = newGenerators(GENERATORS);
  const gatewayPid = server.pids[0]!;
  try {
    const connected = await connectClients(generators, {
      count: CONNECTIONS,
      urls: () => server.urls,
      addresses: (g) => sourceAddresses(2 * g, 2),
      concurrency: 128,
      clientKind: 'raw',
      txPerBlock: TX_PER_BLOCK,
      lastHeight: TOTAL_BLOCKS,
      warmupHeights: WARMUP_BLOCKS,
      phaseStarts: [PAUSE_HEIGHT, RESUME_HEIGHT],
    });

    const started = monotonicMs();
    const rss: RssSample[] = [];
    let height = 0;
    const sample = async (withMetrics: boolean) => {
      const entry: RssSample = {
        seconds: Math.round((monotonicMs() - started) / 100) / 10,
        height,
        rssMiB: Math.round((rssBytes(gatewayPid) / 2 ** 20) * 10) / 10,
      };
      if (withMetrics) entry.catchUpSockets = (await server.metrics()).blockcast_gateway_catch_up_sockets;
      rss.push(entry);
    };
    const cpuAt: CpuReading[] = [];
    // The load generators share CPU 1: their load per phase tells client-side delay from the gateway's.
    const generatorCpuAt: CpuReading[] = [];
    const generatorPids = generators.map((g) => g.child.pid!);
    const phaseStart = new Set([WARMUP_BLOCKS + 1, PAUSE_HEIGHT, RESUME_HEIGHT]);
    let lastSample = 0;
    await appendOnSchedule(server, generators, 0, TOTAL_BLOCKS, BLOCKS_PER_SECOND, async (index) => {
      height = index + 1;
      // The block before a phase's first height is the last of the previous phase.
      if (phaseStart.has(height + 1) || height === TOTAL_BLOCKS) {
        cpuAt.push(readCpu([gatewayPid]));
        generatorCpuAt.push(readCpu(generatorPids));
      }
      if (height + 1 === PAUSE_HEIGHT) {
        log(`height ${height}: pausing every ${EVERY}th client`);
        for (const generator of generators) generator.send({ type: 'pause', every: EVERY });
      }
      if (height + 1 === RESUME_HEIGHT) {
        log(`height ${height}: the paused clients read again`);
        for (const generator of generators) generator.send({ type: 'resume' });
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
    const result = {
      machine,
      scenario: {
        connections: CONNECTIONS,
        stalledEvery: EVERY,
        pauseSeconds: PAUSE_SECONDS,
        txPerBlock: TX_PER_BLOCK,
        blocksPerSecond: BLOCKS_PER_SECOND,
        offeredFramesPerSecond: CONNECTIONS * TX_PER_BLOCK * BLOCKS_PER_SECOND,
        totalBlocks: TOTAL_BLOCKS,
        gatewayEnv,
        pinned: PIN,
        command: commandLine('bench/gateway-slow-consumers.ts'),
      },
      connected,
      settled,
      delivery: { ...report, phaseLatency: undefined, latency: undefined },
      phases: phases.map((p) => ({ ...p, p99VsAllReading: p.othersLatencyMs.p99 / baseline })),
      rssSamples: rss,
      gatewayMetrics: metrics,
    };
    writeResult(values.out || `gateway-slow-consumers-${CONNECTIONS}c`, result);
    printReport(result);
  } finally {
    await Promise.all(generators.map((g) => g.stop()));
    await server.stop();
    await redis.stop();
  }
}

function printReport(result: {
  scenario: { connections: number; offeredFramesPerSecond: number };
  delivery: {
    clients: number;
    complete: number;
    orderErrors: number;
    closedByServer: number;
    paused: object;
  };
  phases: Array<{
    name: string;
    heights: number[];
    othersLatencyMs: { p50: number; p99: number; max: number };
    gatewayCores: number;
    generatorCores: number;
    machineCores: number;
    rssMiB: { min: number; max: number };
    p99VsAllReading: number;
  }>;
  gatewayMetrics: Record<string, number>;
}): void {
  const f = (n: number, d = 1) => n.toFixed(d);
  console.log(
    `\n${result.scenario.connections} clients, offered ${result.scenario.offeredFramesPerSecond} frames/s\n`,
  );
  console.log(
    '| phase | heights | others p50 ms | others p99 ms | others max ms | p99 vs all reading | gateway cores | loadgen cores | machine cores | gateway RSS MiB |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const p of result.phases)
    console.log(
      `| ${p.name} | ${p.heights.join('–')} | ${f(p.othersLatencyMs.p50)} | ${f(p.othersLatencyMs.p99)} | ${f(p.othersLatencyMs.max)} | ${f(p.p99VsAllReading, 2)}× | ${f(p.gatewayCores, 2)} | ${f(p.generatorCores, 2)} | ${f(p.machineCores, 2)} | ${f(p.rssMiB.min)}–${f(p.rssMiB.max)} |`,
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
