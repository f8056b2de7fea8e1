/**
 * Planetmint 2.5.3's WebSocket server alone: N raw `valid_transactions` clients
 * (bench/loadgen/loadgen.ts, every client's sequence checked), blocks of K DemoLedger
 * transactions at B blocks/s through bench/servers/peers/planetmint.ts. Measures latency from
 * publishBlock to the frame read (the server polls its queue once a second), how many clients
 * it holds and its RSS per connection, its CPU, and how long the last block takes to reach all.
 *
 *   npx tsx bench/scenarios/planetmint-capacity.bench.ts [--connections 1000] [--seconds 30]
 *     [--blocks-per-second 1] [--tx-per-block 10] [--generators 1] [--pause-every N] [--no-pin]
 *
 * Server (all three processes) on CPU 0, driver and generators on CPU 1. Writes
 * bench/results/planetmint-capacity-<N>c-<B>bps-<K>tx-<S>s[-paused<P>].json and prints it.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { DemoLedger } from '@blockcast/demo-chain';
import { freePort } from '@blockcast/devkit';
import type { CommittedBlock } from '@blockcast/protocol';
import { monotonicMs, rssBytes } from '../harness/proc.js';
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
import { startPlanetmintServer } from '../servers/peers/planetmint.js';
import type { RunningServer } from '../servers/servers.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '30' },
    'blocks-per-second': { type: 'string', default: '1' },
    'tx-per-block': { type: 'string', default: '10' },
    'warmup-blocks': { type: 'string', default: '2' },
    generators: { type: 'string', default: '1' },
    /** Stop reading on every N-th client (0, N, 2N, …) once the warm-up blocks are out; 0: nobody. */
    'pause-every': { type: 'string', default: '0' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const CONNECTIONS = integerOption('connections', values.connections, 1, 19_900);
const SECONDS = integerOption('seconds', values.seconds, 1, 110);
const BLOCKS_PER_SECOND = integerOption('blocks-per-second', values['blocks-per-second'], 1, 100);
const TX_PER_BLOCK = integerOption('tx-per-block', values['tx-per-block'], 1, 1000);
const WARMUP_BLOCKS = integerOption('warmup-blocks', values['warmup-blocks'], 0, 100);
const GENERATORS = integerOption('generators', values.generators, 1, 4);
const PAUSE_EVERY = integerOption('pause-every', values['pause-every'], 0, 19_900);
const PIN = !values['no-pin'] && CPUS >= 2;
const TOTAL_BLOCKS = WARMUP_BLOCKS + SECONDS * BLOCKS_PER_SECOND;
/** After the last block, time for every client to get it: the server may be far behind. */
const SETTLE_TIMEOUT_MS = 60_000;

const machine = pinDriver(PIN);
const ledger = new DemoLedger();
const blocks: CommittedBlock[] = Array.from({ length: TOTAL_BLOCKS }, () => ledger.nextBlock(TX_PER_BLOCK));
const planetmint = await startPlanetmintServer({ port: await freePort(), pin: serverPin(PIN) });
// The scenario helpers drive a RunningServer: block `index` is height index + 1.
const server: RunningServer = {
  pids: [planetmint.pid],
  urls: [planetmint.url],
  deliver: (index) => planetmint.publishBlock(blocks[index]!.height, blocks[index]!.transactions),
  metrics: async () => ({}),
  stop: () => planetmint.stop(),
};
const generators = newGenerators(GENERATORS);

try {
  const idleRss = await steadyRss(planetmint.pid);
  const connected = await connectClients(generators, {
    count: CONNECTIONS,
    urls: () => server.urls,
    addresses: (g) => sourceAddresses(10 + g * 10, 10),
    concurrency: 200,
    clientKind: 'raw',
    txPerBlock: TX_PER_BLOCK,
    lastHeight: TOTAL_BLOCKS,
    warmupHeights: WARMUP_BLOCKS,
  });
  const connectedRss = await steadyRss(planetmint.pid);

  const cpuBefore = readCpu(server.pids);
  await appendOnSchedule(server, generators, 0, TOTAL_BLOCKS, BLOCKS_PER_SECOND, (index) => {
    if (PAUSE_EVERY > 0 && index + 1 === WARMUP_BLOCKS)
      for (const generator of generators) generator.send({ type: 'pause', every: PAUSE_EVERY });
  });
  const lastPublishedAt = monotonicMs();
  const settled = await waitSettled(generators, () => TOTAL_BLOCKS, lastPublishedAt, SETTLE_TIMEOUT_MS);
  const cpu = coresBetween(cpuBefore, readCpu(server.pids));
  const report = await collectReports(generators);

  const result = {
    machine,
    command: commandLine('bench/scenarios/planetmint-capacity.bench.ts'),
    settings: {
      connections: CONNECTIONS,
      seconds: SECONDS,
      blocksPerSecond: BLOCKS_PER_SECOND,
      txPerBlock: TX_PER_BLOCK,
    },
    connected,
    serverRssBytes: { idle: idleRss, connected: connectedRss, end: rssBytes(planetmint.pid) },
    rssBytesPerConnection: connected.open > 0 ? Math.round((connectedRss - idleRss) / connected.open) : null,
    offeredFramesPerSecond: CONNECTIONS * TX_PER_BLOCK * BLOCKS_PER_SECOND,
    deliveredFramesPerSecond: Math.round(report.frames / cpu.seconds),
    lastBlockReachedAllMs: settled.reached ? Math.round(settled.ms) : null,
    serverCores: Number(cpu.processCores.toFixed(3)),
    machineCores: Number(cpu.machineCores.toFixed(3)),
    generatorCores: Number((report.generatorCpuSeconds / cpu.seconds).toFixed(3)),
    cpuSecondsPerThousandFrames:
      report.frames > 0 ? Number(((cpu.processSeconds / report.frames) * 1000).toFixed(4)) : null,
    latencyMs: report.latency,
    delivery: {
      clients: report.clients,
      complete: report.complete,
      orderErrors: report.orderErrors,
      incomplete: report.incomplete,
      closedByServer: report.closedByServer,
      paused: report.paused,
      problems: report.problems,
    },
    loadavgAtEnd: readFileSync('/proc/loadavg', 'utf8').trim(),
  };
  console.log(JSON.stringify(result, null, 2));
  const paused = PAUSE_EVERY > 0 ? `-paused${PAUSE_EVERY}` : '';
  writeResult(
    `planetmint-capacity-${CONNECTIONS}c-${BLOCKS_PER_SECOND}bps-${TX_PER_BLOCK}tx-${SECONDS}s${paused}`,
    result,
  );
} finally {
  for (const generator of generators) generator.send({ type: 'close' });
  await server.stop();
}
log('done');
process.exit(0);

/** Python hands no memory back on a signal (and SIGUSR2 would kill it): three readings a second apart, the last. */
async function steadyRss(pid: number): Promise<number> {
  let rss = rssBytes(pid);
  for (let i = 0; i < 3; i++) {
    await delay(1000);
    rss = rssBytes(pid);
  }
  return rss;
}
