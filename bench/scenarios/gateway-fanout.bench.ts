/**
 * Gateway fan-out: N `valid_transactions` subscribers held by a lean load generator (several
 * processes, several source addresses), blocks of K realistic transactions appended to a real
 * Redis stream at B blocks/s, the blockcast gateway in its own process(es) — beside, in the same
 * run, with the same load generator and the same frames, a raw uWS publish loop (the limit) and
 * a plain `ws` broadcast server. Measures delivered frames/s, end-to-end latency from the
 * block's ingestedAt to frame arrival (HDR histogram), server CPU per 1 000 delivered frames and
 * RSS per connection, and verifies that every client got every frame once and in order.
 *
 *   npx tsx bench/scenarios/gateway-fanout.bench.ts [--connections 1000] [--seconds 30] [--tx-per-block 10]
 *     [--blocks-per-second 2] [--server-processes 1] [--generators 2] [--targets blockcast,raw-uws,ws]
 *     [--client raw|ws] [--no-pin]
 *
 * By default the server under test is pinned to CPU 0 and everything else (driver, Redis, load
 * generators) to CPU 1. Prints a markdown table; writes JSON to bench/results/. Not part of `npm test`.
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DemoLedger } from '@blockcast/demo-chain';
import { normaliseBlock, validTransactionFrame } from '@blockcast/protocol';
import * as hdr from 'hdr-histogram-js';
import type { Redis } from 'ioredis';
import type { ClientKind, GeneratorReport } from '../harness/messages.js';
import { cpuSeconds, machineJiffies, monotonicMs } from '../harness/proc.js';
import { Generator, machineInfo, settledRss, startRedis, sumOver } from '../harness/processes.js';
import { latencyOf } from '../harness/scenario.js';
import { firstFrameLatency, printTable, type TargetResult } from '../report/fanout-table.js';
import { type RunningServer, startServer, TARGETS, type TargetName } from '../servers/servers.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '30' },
    'tx-per-block': { type: 'string', default: '10' },
    'blocks-per-second': { type: 'string', default: '2' },
    'warmup-seconds': { type: 'string', default: '2' },
    'server-processes': { type: 'string', default: '1' },
    generators: { type: 'string', default: '2' },
    targets: { type: 'string', default: TARGETS.join(',') },
    client: { type: 'string', default: 'raw' },
    'no-pin': { type: 'boolean', default: false },
    /** Extra node flags for the servers, space-separated: --server-node-flags="--cpu-prof --cpu-prof-dir=/tmp/prof". */
    'server-node-flags': { type: 'string', default: '' },
    out: { type: 'string' },
  },
});

function bounded(name: string, value: string, min: number, max: number): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max)
    throw new RangeError(`--${name} must be an integer in [${min}, ${max}], got ${value}`);
  return number;
}

const SERVER_PROCESSES = bounded('server-processes', values['server-processes'], 1, 4);
const GENERATORS = bounded('generators', values.generators, 1, 4);
const CONNECTIONS = bounded(
  'connections',
  values.connections,
  1,
  Math.min(15_000 * GENERATORS, 19_000 * SERVER_PROCESSES),
);
const SECONDS = bounded('seconds', values.seconds, 1, 60);
const TX_PER_BLOCK = bounded('tx-per-block', values['tx-per-block'], 1, 1000);
const BLOCKS_PER_SECOND = bounded('blocks-per-second', values['blocks-per-second'], 1, 1000);
const WARMUP_SECONDS = bounded('warmup-seconds', values['warmup-seconds'], 0, 10);
const CLIENT = values.client as ClientKind;
if (CLIENT !== 'raw' && CLIENT !== 'ws') throw new RangeError(`--client must be raw or ws`);
const SELECTED = values.targets.split(',') as TargetName[];
for (const target of SELECTED)
  if (!TARGETS.includes(target)) throw new RangeError(`unknown target ${target}`);
const CPUS = availableParallelism();
const PIN = !values['no-pin'] && CPUS >= 2;
const WARMUP_BLOCKS = WARMUP_SECONDS * BLOCKS_PER_SECOND;
const MEASURED_BLOCKS = SECONDS * BLOCKS_PER_SECOND;
const TOTAL_BLOCKS = WARMUP_BLOCKS + MEASURED_BLOCKS;
const INTERVAL_MS = 1000 / BLOCKS_PER_SECOND;
const CONNECT_CONCURRENCY = 128;
const DRAIN_TIMEOUT_MS = 30_000;
const IDLE_CPU_SECONDS = 6;

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

async function runTarget(
  target: TargetName,
  targetIndex: number,
  blocks: { events: ReturnType<typeof normaliseBlock>[]; frames: string[][] },
  redis: { client: Redis; url: string; pid: number },
): Promise<TargetResult> {
  log(`\n== ${target}: ${CONNECTIONS} connections, ${SERVER_PROCESSES} server process(es)`);
  const server: RunningServer = await startServer(target, {
    processes: SERVER_PROCESSES,
    pin: PIN ? ['taskset', '-c', '0'] : [],
    nodeFlags: values['server-node-flags'].split(' ').filter((flag) => flag !== ''),
    events: blocks.events,
    frames: blocks.frames,
    redis: redis.client,
    redisUrl: redis.url,
  });
  const generators = Array.from({ length: GENERATORS }, () => new Generator());
  try {
    const idleBytes = await settledRss(server.pids, 10);

    const connected = await Promise.all(
      generators.map((generator, g) => {
        const count = Math.floor(CONNECTIONS / GENERATORS) + (g < CONNECTIONS % GENERATORS ? 1 : 0);
        // Two source addresses per generator, fresh ones per target (127.0.0.1–4 for the first,
        // 127.0.0.11–14 for the second, …): the previous target's TIME_WAIT sockets slow down
        // binding on the same addresses (20 000 connects took 34 s instead of 7 s).
        const base = 10 * targetIndex + 2 * g;
        const localAddresses = [`127.0.0.${base + 1}`, `127.0.0.${base + 2}`];
        return generator.ask(
          {
            type: 'connect',
            urls: server.urls,
            count,
            localAddresses,
            concurrency: CONNECT_CONCURRENCY,
            clientKind: CLIENT,
            txPerBlock: TX_PER_BLOCK,
            lastHeight: TOTAL_BLOCKS,
            warmupHeights: WARMUP_BLOCKS,
          },
          'connected',
          120_000,
        );
      }),
    );
    const open = connected.reduce((sum, c) => sum + c.open, 0);
    const failed = connected.reduce((sum, c) => sum + c.failed, 0);
    const connectSeconds = Math.max(...connected.map((c) => c.seconds));
    log(`connected ${open}/${CONNECTIONS} in ${connectSeconds.toFixed(1)} s, ${failed} failed`);
    for (const error of connected.flatMap((c) => c.errors).slice(0, 5)) log(`  ${error}`);
    const connectedBytes = await settledRss(server.pids, 3);
    // Idle cost of holding the connections (keep-alive timers, sweeps): no blocks, no GC signals.
    const idleCpuBefore = sumOver(server.pids, cpuSeconds);
    await delay(IDLE_CPU_SECONDS * 1000);
    const idleCores = (sumOver(server.pids, cpuSeconds) - idleCpuBefore) / IDLE_CPU_SECONDS;

    // The block stream: block i at t0 + i·interval, on an absolute schedule.
    let cpuStart = {
      server: 0,
      generators: 0,
      redis: 0,
      driver: process.cpuUsage(),
      machine: machineJiffies(),
    };
    let measuredFrom = 0;
    const t0 = monotonicMs() + 200;
    for (let i = 0; i < TOTAL_BLOCKS; i++) {
      const wait = t0 + i * INTERVAL_MS - monotonicMs();
      if (wait > 0) await delay(wait);
      if (i === WARMUP_BLOCKS) {
        measuredFrom = monotonicMs();
        cpuStart = {
          server: sumOver(server.pids, cpuSeconds),
          generators: sumOver(
            generators.map((g) => g.child.pid!),
            cpuSeconds,
          ),
          redis: cpuSeconds(redis.pid),
          driver: process.cpuUsage(),
          machine: machineJiffies(),
        };
      }
      const atMs = monotonicMs();
      for (const generator of generators) generator.send({ type: 'sent', height: i + 1, atMs });
      await server.deliver(i);
    }

    // Drain: until every open client has every frame, or a timeout (then it is reported as loss).
    const expected = open * TOTAL_BLOCKS * TX_PER_BLOCK;
    const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS;
    let delivered = 0;
    while (Date.now() < drainDeadline) {
      const progress = await Promise.all(
        generators.map((g) => g.ask({ type: 'progress' }, 'progress', 10_000)),
      );
      delivered = progress.reduce((sum, p) => sum + p.frames, 0);
      if (delivered >= expected) break;
      await delay(50);
    }
    const windowEnd = monotonicMs();
    const serverCpu = sumOver(server.pids, cpuSeconds) - cpuStart.server;
    const generatorCpu =
      sumOver(
        generators.map((g) => g.child.pid!),
        cpuSeconds,
      ) - cpuStart.generators;
    const redisCpu = cpuSeconds(redis.pid) - cpuStart.redis;
    const driverUsage = process.cpuUsage(cpuStart.driver);
    const machine = machineJiffies();
    if (delivered < expected) log(`drain timed out: ${delivered} of ${expected} frames`);

    const afterBytes = await settledRss(server.pids, 3);
    const reports: GeneratorReport[] = await Promise.all(
      generators.map((g) => g.ask({ type: 'report' }, 'report', 30_000)),
    );
    const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000 });
    for (const report of reports) histogram.add(hdr.decodeFromCompressedBase64(report.histogram));
    const framesTotal = reports.reduce((sum, r) => sum + r.frames, 0);
    const timedFrames = Math.max(0, framesTotal - open * WARMUP_BLOCKS * TX_PER_BLOCK);
    const lastArrival = Math.max(...reports.map((r) => r.lastArrivalMs));
    const windowSeconds = (windowEnd - measuredFrom) / 1000;
    const sum = (pick: (r: GeneratorReport) => number) => reports.reduce((total, r) => total + pick(r), 0);
    const result: TargetResult = {
      target,
      serverPids: server.pids.length,
      connections: {
        requested: CONNECTIONS,
        open,
        failed,
        seconds: connectSeconds,
        errors: connected.flatMap((c) => c.errors).slice(0, 10),
      },
      delivery: {
        expectedPerClient: TOTAL_BLOCKS * TX_PER_BLOCK,
        framesTotal,
        timedFrames,
        complete: sum((r) => r.complete),
        orderErrors: sum((r) => r.orderErrors),
        incomplete: sum((r) => r.incomplete),
        closedByServer: sum((r) => r.closedByServer),
        lastHeightMin: Math.min(...reports.map((r) => r.lastHeightMin)),
        lastHeightMax: Math.max(...reports.map((r) => r.lastHeightMax)),
        problems: reports.flatMap((r) => r.problems).slice(0, 20),
      },
      // Each measured block occupies one interval; a server that keeps up delivers N·K·B.
      framesPerSecond: timedFrames / ((lastArrival - measuredFrom + INTERVAL_MS) / 1000),
      latencyMs: latencyOf(histogram),
      firstFrameLatencyMs: firstFrameLatency(reports, WARMUP_BLOCKS + 1, TOTAL_BLOCKS),
      cpu: {
        windowSeconds,
        serverSeconds: serverCpu,
        serverCores: serverCpu / windowSeconds,
        serverSecondsPer1kFrames: timedFrames === 0 ? Number.NaN : (serverCpu / timedFrames) * 1000,
        generatorCores: generatorCpu / windowSeconds,
        redisCores: redisCpu / windowSeconds,
        driverCores: (driverUsage.user + driverUsage.system) / 1e6 / windowSeconds,
        machineBusy: (machine.busy - cpuStart.machine.busy) / (machine.total - cpuStart.machine.total),
        idleServerCores: idleCores,
        otherCores: 0,
      },
      rss: {
        idleBytes,
        connectedBytes,
        afterBytes,
        perConnectionConnected: open === 0 ? Number.NaN : (connectedBytes - idleBytes) / open,
        perConnectionAfter: open === 0 ? Number.NaN : (afterBytes - idleBytes) / open,
      },
      gatewayMetrics: await server.metrics(),
    };
    const { cpu } = result;
    cpu.otherCores =
      cpu.machineBusy * CPUS - cpu.serverCores - cpu.generatorCores - cpu.redisCores - cpu.driverCores;
    log(
      JSON.stringify({
        ...result,
        delivery: { ...result.delivery, problems: result.delivery.problems.slice(0, 5) },
      }),
    );
    return result;
  } finally {
    await Promise.all(generators.map((g) => g.stop()));
    await server.stop();
  }
}

/** The arguments as given, less --out (where a result went is not part of how it was made). */
function commandArgs(): string {
  const args = process.argv.slice(2);
  const out = args.findIndex((arg) => arg === '--out' || arg.startsWith('--out='));
  if (out >= 0) args.splice(out, args[out] === '--out' ? 2 : 1);
  return args.join(' ');
}

async function main(): Promise<void> {
  const machine = machineInfo();
  if (PIN) execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  log(JSON.stringify(machine));
  const ledger = new DemoLedger();
  const events = Array.from({ length: TOTAL_BLOCKS }, () =>
    normaliseBlock(ledger.nextBlock(TX_PER_BLOCK), 0),
  );
  const frames = events.map((event) =>
    event.transactions.map((tx) => validTransactionFrame('bigchaindb', event.height, tx)),
  );
  const frameBytes =
    frames.flat().reduce((sum, frame) => sum + Buffer.byteLength(frame), 0) / frames.flat().length;
  log(
    `${TOTAL_BLOCKS} blocks (${WARMUP_BLOCKS} warm-up) of ${TX_PER_BLOCK} tx, mean frame ${frameBytes.toFixed(0)} B`,
  );
  const redis = await startRedis();
  const results: TargetResult[] = [];
  try {
    for (const [index, target] of SELECTED.entries()) {
      results.push(await runTarget(target, index, { events, frames }, redis));
      await delay(1000);
    }
  } finally {
    await redis.stop();
  }

  const scenario = {
    connections: CONNECTIONS,
    seconds: SECONDS,
    warmupSeconds: WARMUP_SECONDS,
    txPerBlock: TX_PER_BLOCK,
    blocksPerSecond: BLOCKS_PER_SECOND,
    offeredFramesPerSecond: CONNECTIONS * TX_PER_BLOCK * BLOCKS_PER_SECOND,
    serverProcesses: SERVER_PROCESSES,
    generators: GENERATORS,
    client: CLIENT,
    pinned: PIN ? 'server on CPU 0; driver, Redis and load generators on CPU 1' : 'not pinned',
    meanFrameBytes: Math.round(frameBytes),
    command: `npx tsx bench/scenarios/gateway-fanout.bench.ts ${commandArgs()}`.trim(),
  };
  const outDir = join(REPO_ROOT, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const file =
    values.out ??
    join(
      outDir,
      `gateway-fanout-${CONNECTIONS}c-${SERVER_PROCESSES}p${BLOCKS_PER_SECOND === 2 ? '' : `-${BLOCKS_PER_SECOND}bps`}${CLIENT === 'ws' ? '-wsclient' : ''}.json`,
    );
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), machine, scenario, results }, null, 2)}\n`,
  );
  log(`\nwrote ${file}`);

  printTable(
    `${CONNECTIONS} connections × ${TX_PER_BLOCK} tx/block × ${BLOCKS_PER_SECOND} blocks/s (offered ${scenario.offeredFramesPerSecond} frames/s), ${SERVER_PROCESSES} server process(es), ${SECONDS} s`,
    results,
  );
}

await main();
