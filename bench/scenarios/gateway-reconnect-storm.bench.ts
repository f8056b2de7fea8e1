/**
 * Reconnect storm (issue 7, 6b): N `valid_transactions` clients over P gateway processes sharing
 * one port (SO_REUSEPORT), blocks of K transactions. In one run:
 *   1. live burst — R blocks appended back to back while every client is live: the live fan-out
 *      rate of this setup (frames/s until every client holds them all);
 *   2. steady — blocks at B/s for S seconds: the Redis commands a quiet gateway issues;
 *   3. storm — every client's connection is cut at once and all reconnect with
 *      `since` = head − R (R·K frames each) while blocks keep coming at B/s: the time until every
 *      client holds the current head, the catch-up rate, and the Redis commands issued
 *      (INFO commandstats before and after; they must follow blocks, not clients).
 * Every client's sequence is checked in each connection: from since + 1, every frame once, in order.
 *
 *   npx tsx bench/scenarios/gateway-reconnect-storm.bench.ts [--connections 20000] [--server-processes 2]
 *     [--back 100] [--tx-per-block 10] [--blocks-per-second 2] [--steady-seconds 10]
 *     [--storm-seconds 40] [--concurrency 1000] [--generators 2] [--no-pin]
 *
 * Gateways on CPU 0, everything else on CPU 1. Prints markdown; writes JSON to bench/results/.
 */
import { parseArgs } from 'node:util';
import { DemoLedger } from '@blockcast/demo-chain';
import { normaliseBlock } from '@blockcast/protocol';
import { monotonicMs } from '../harness/proc.js';
import { startRedis } from '../harness/processes.js';
import { callsBetween, commandCalls } from '../harness/redis-command-stats.js';
import {
  appendOnSchedule,
  CPUS,
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
} from '../harness/scenario.js';
import { startServer } from '../servers/servers.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '20000' },
    'server-processes': { type: 'string', default: '2' },
    back: { type: 'string', default: '100' },
    'tx-per-block': { type: 'string', default: '10' },
    'blocks-per-second': { type: 'string', default: '2' },
    'steady-seconds': { type: 'string', default: '10' },
    'storm-seconds': { type: 'string', default: '40' },
    concurrency: { type: 'string', default: '1000' },
    /** GATEWAY_RING_BLOCKS; below --back the replay comes from Redis (XRANGE batches), not memory. */
    'ring-blocks': { type: 'string' },
    generators: { type: 'string', default: '2' },
    'no-pin': { type: 'boolean', default: false },
    out: { type: 'string', default: '' },
  },
});

const SERVER_PROCESSES = integerOption('server-processes', values['server-processes'], 1, 4);
const GENERATORS = integerOption('generators', values.generators, 1, 4);
const CONNECTIONS = integerOption('connections', values.connections, 1, 15_000 * GENERATORS);
const BACK = integerOption('back', values.back, 1, 900);
const TX_PER_BLOCK = integerOption('tx-per-block', values['tx-per-block'], 1, 1000);
const BLOCKS_PER_SECOND = integerOption('blocks-per-second', values['blocks-per-second'], 1, 100);
const STEADY_SECONDS = integerOption('steady-seconds', values['steady-seconds'], 1, 60);
const STORM_SECONDS = integerOption('storm-seconds', values['storm-seconds'], 5, 120);
const CONCURRENCY = integerOption('concurrency', values.concurrency, 1, 20_000);
const PIN = !values['no-pin'] && CPUS >= 2;

/** A few blocks at the steady rate first, so every gateway has published and the clients are warm. */
const WARMUP_BLOCKS = 4;
const BURST_END = WARMUP_BLOCKS + BACK;
const STEADY_END = BURST_END + STEADY_SECONDS * BLOCKS_PER_SECOND;
const TOTAL_BLOCKS = STEADY_END + STORM_SECONDS * BLOCKS_PER_SECOND;
const SETTLE_TIMEOUT_MS = 120_000;

async function main(): Promise<void> {
  const machine = pinDriver(PIN);
  const ledger = new DemoLedger();
  const events = Array.from({ length: TOTAL_BLOCKS }, () =>
    normaliseBlock(ledger.nextBlock(TX_PER_BLOCK), 0),
  );
  const redis = await startRedis();
  const server = await startServer('blockcast', {
    processes: SERVER_PROCESSES,
    pin: serverPin(PIN),
    nodeFlags: [],
    events,
    frames: [],
    redis: redis.client,
    redisUrl: redis.url,
    // Each process may see its old sockets and the reconnecting ones at once.
    gatewayEnv: {
      GATEWAY_MAX_CONNECTIONS: '19900',
      ...(values['ring-blocks'] === undefined ? {} : { GATEWAY_RING_BLOCKS: values['ring-blocks'] }),
    },
  });
  const generators = newGenerators(GENERATORS);
  const pids = server.pids;
  let head = 0;
  const connectSpec = {
    count: CONNECTIONS,
    clientKind: 'raw' as const,
    txPerBlock: TX_PER_BLOCK,
    lastHeight: TOTAL_BLOCKS,
    warmupHeights: TOTAL_BLOCKS,
  };
  try {
    const connected = await connectClients(generators, {
      ...connectSpec,
      urls: () => server.urls,
      addresses: (g) => sourceAddresses(4 * g, 4),
      concurrency: 128,
    });
    const settle = (height: number, since: number) =>
      waitSettled(generators, () => height, since, SETTLE_TIMEOUT_MS);
    await appendOnSchedule(server, generators, 0, WARMUP_BLOCKS, BLOCKS_PER_SECOND);
    await settle(WARMUP_BLOCKS, monotonicMs());

    // 1. Live burst: the same R·K frames per client as the storm will replay, fanned out live.
    const burstCpu = readCpu(pids);
    const burstStart = monotonicMs();
    await appendOnSchedule(server, generators, WARMUP_BLOCKS, BURST_END, 0);
    const burst = await settle(BURST_END, burstStart);
    const burstCores = coresBetween(burstCpu, readCpu(pids));
    const burstFrames = burst.open * BACK * TX_PER_BLOCK;
    log(`live burst: ${BACK} blocks to ${burst.open} clients in ${(burst.ms / 1000).toFixed(2)} s`);

    // 2. Steady: what the gateways ask Redis for when nobody reconnects.
    const steadyCalls = await commandCalls(redis.client);
    const steadyStart = monotonicMs();
    await appendOnSchedule(server, generators, BURST_END, STEADY_END, BLOCKS_PER_SECOND);
    const steadySeconds = (monotonicMs() - steadyStart) / 1000;
    const steadyDelta = callsBetween(steadyCalls, await commandCalls(redis.client));
    head = STEADY_END;
    const beforeStorm = await settle(head, monotonicMs());
    const liveReport = await collectReports(generators);
    log(
      `before the storm: ${liveReport.orderErrors} clients with order errors, all at ${beforeStorm.settledHeightMin}`,
    );

    // 3. Storm: cut every connection, reconnect all at once from head − R, blocks keep coming.
    const since = head - BACK;
    const epoch = await server.epoch!();
    const metricsBefore = await server.metrics();
    const stormCalls = await commandCalls(redis.client);
    const stormCpu = readCpu(pids);
    const stormStart = monotonicMs();
    for (const generator of generators) generator.send({ type: 'drop' });
    const appending = appendOnSchedule(
      server,
      generators,
      STEADY_END,
      TOTAL_BLOCKS,
      BLOCKS_PER_SECOND,
      (i) => {
        head = i + 1;
      },
    );
    const reconnected = await connectClients(generators, {
      ...connectSpec,
      since,
      urls: () => server.urls.map((url) => `${url}?since=${since}&epoch=${epoch}`),
      addresses: (g) => sourceAddresses(20 + 4 * g, 4),
      concurrency: CONCURRENCY,
    });
    const atHead = await waitSettled(generators, () => head, stormStart, SETTLE_TIMEOUT_MS, 20);
    const stormDelta = callsBetween(stormCalls, await commandCalls(redis.client));
    const stormCores = coresBetween(stormCpu, readCpu(pids));
    const headAtSettle = head;
    log(
      `storm: all ${atHead.open} at head ${headAtSettle}: ${atHead.reached} after ${(atHead.ms / 1000).toFixed(2)} s`,
    );
    await appending;
    const final = await settle(TOTAL_BLOCKS, monotonicMs());
    const report = await collectReports(generators);
    const metricsAfter = await server.metrics();

    const stormSeconds = atHead.ms / 1000;
    // Frames the reconnected clients received up to the moment all were at head.
    const stormFrames = atHead.frames - liveReport.frames;
    const replayFrames = reconnected.open * BACK * TX_PER_BLOCK;
    const metricDelta = Object.fromEntries(
      Object.entries(metricsAfter)
        .filter(([key]) => /catch_up|log_reads|connections_(?:closed|refused)|slow_clients|gaps/.test(key))
        .map(([key, value]) => [key, value - (metricsBefore[key] ?? 0)]),
    );
    const result = {
      machine,
      scenario: {
        connections: CONNECTIONS,
        serverProcesses: SERVER_PROCESSES,
        back: BACK,
        txPerBlock: TX_PER_BLOCK,
        blocksPerSecond: BLOCKS_PER_SECOND,
        since,
        concurrency: CONCURRENCY,
        ringBlocks: values['ring-blocks'] ?? 'gateway default',
        pinned: PIN,
        command: commandLine('bench/scenarios/gateway-reconnect-storm.bench.ts'),
      },
      connected,
      liveBurst: {
        seconds: burst.ms / 1000,
        frames: burstFrames,
        framesPerSecond: burstFrames / (burst.ms / 1000),
        gatewayCores: burstCores.processCores,
        reached: burst.reached,
      },
      steady: { seconds: steadySeconds, blocks: STEADY_END - BURST_END, redisCalls: steadyDelta },
      liveDelivery: { ...liveReport, latency: undefined, phaseLatency: undefined },
      storm: {
        reconnected,
        reachedHead: atHead.reached,
        secondsToHead: stormSeconds,
        headAtSettle,
        blocksDuringStorm: headAtSettle - STEADY_END,
        frames: stormFrames,
        framesPerSecond: stormFrames / stormSeconds,
        replayFramesPerSecond: replayFrames / stormSeconds,
        catchUpVsLive: stormFrames / stormSeconds / (burstFrames / (burst.ms / 1000)),
        gatewayCores: stormCores.processCores,
        redisCalls: stormDelta,
        gatewayMetrics: metricDelta,
      },
      finalDelivery: { ...report, latency: undefined, phaseLatency: undefined, settled: final },
    };
    const ring = values['ring-blocks'] === undefined ? '' : `-ring${values['ring-blocks']}`;
    writeResult(values.out || `gateway-reconnect-storm-${CONNECTIONS}c-${SERVER_PROCESSES}p${ring}`, result);
    printReport(result);
  } finally {
    await Promise.all(generators.map((g) => g.stop()));
    await server.stop();
    await redis.stop();
  }
}

function printReport(r: {
  liveBurst: { seconds: number; framesPerSecond: number; gatewayCores: number };
  steady: { seconds: number; blocks: number; redisCalls: Record<string, number> };
  storm: {
    reconnected: { open: number; failed: number; seconds: number };
    reachedHead: boolean;
    secondsToHead: number;
    blocksDuringStorm: number;
    framesPerSecond: number;
    catchUpVsLive: number;
    gatewayCores: number;
    redisCalls: Record<string, number>;
    gatewayMetrics: Record<string, number>;
  };
  finalDelivery: { clients: number; complete: number; orderErrors: number; closedByServer: number };
}): void {
  const f = (n: number, d = 1) => n.toFixed(d);
  const s = r.storm;
  console.log('\n| phase | seconds | frames/s | gateway cores |');
  console.log('|---|---:|---:|---:|');
  console.log(
    `| live burst | ${f(r.liveBurst.seconds, 2)} | ${Math.round(r.liveBurst.framesPerSecond)} | ${f(r.liveBurst.gatewayCores, 2)} |`,
  );
  console.log(
    `| storm, until all at head | ${f(s.secondsToHead, 2)} | ${Math.round(s.framesPerSecond)} | ${f(s.gatewayCores, 2)} |`,
  );
  console.log(
    `\nstorm: ${s.reconnected.open} reconnected (${s.reconnected.failed} failed) in ${f(s.reconnected.seconds, 2)} s; all at head: ${s.reachedHead}; catch-up/live ${f(s.catchUpVsLive, 2)}×; ${s.blocksDuringStorm} blocks appended meanwhile`,
  );
  console.log(
    `redis calls, steady ${f(r.steady.seconds)} s / ${r.steady.blocks} blocks: ${JSON.stringify(r.steady.redisCalls)}`,
  );
  console.log(
    `redis calls, storm ${f(s.secondsToHead)} s / ${s.blocksDuringStorm} blocks: ${JSON.stringify(s.redisCalls)}`,
  );
  console.log(`gateway metrics during the storm: ${JSON.stringify(s.gatewayMetrics)}`);
  const d = r.finalDelivery;
  console.log(
    `delivery after the storm: ${d.complete}/${d.clients} complete, ${d.orderErrors} with order errors, ${d.closedByServer} closed`,
  );
}

await main();
