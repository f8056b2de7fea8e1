/**
 * Filter cost (issue 7, 6c): gateway CPU per delivered frame for N clients holding F distinct
 * `public_key=` filters (N/F clients per key), against N unfiltered clients, in one run. Each
 * phase has its own gateway process, the same load generator and the same per-client rate:
 *   - unfiltered: blocks of K transactions (DemoLedger), every client gets K frames per block;
 *   - filtered: blocks of K·F transactions, K of them paying each key, so every filtered client
 *     also gets K frames per block — the same frames/s delivered, the same corked write per block
 *     and socket; the gateway now decodes, indexes and matches F× the transactions;
 *   - filtered blocks, no clients: the floor of decoding those blocks, so the filtering work
 *     itself (index, frames per key, publishes) can be told apart.
 * Every client's sequence is checked: each height once, exactly K frames, in order (the expected
 * count is derived from the blocks, independently of the gateway).
 *
 *   npx tsx bench/scenarios/gateway-filter-cost.bench.ts [--connections 10000] [--keys 1000] [--tx-per-key 10]
 *     [--blocks-per-second 2] [--seconds 30] [--generators 2] [--no-pin]
 */
import { parseArgs } from 'node:util';
import { DemoLedger } from '@blockcast/demo-chain';
import { makeTransaction } from '@blockcast/devkit';
import { type BlockEvent, newPublicKey, normaliseBlock } from '@blockcast/protocol';
import { monotonicMs } from '../harness/proc.js';
import { type Generator, startRedis } from '../harness/processes.js';
import {
  appendOnSchedule,
  CPUS,
  collectReports,
  commandLine,
  connectClients,
  coresBetween,
  integerOption,
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
import { startServer } from '../servers/servers.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '10000' },
    keys: { type: 'string', default: '1000' },
    'tx-per-key': { type: 'string', default: '10' },
    'blocks-per-second': { type: 'string', default: '2' },
    seconds: { type: 'string', default: '30' },
    'warmup-seconds': { type: 'string', default: '2' },
    generators: { type: 'string', default: '2' },
    'no-pin': { type: 'boolean', default: false },
    /** Extra node flags for the gateway, space-separated: --server-node-flags="--cpu-prof --cpu-prof-dir=/tmp/prof". */
    'server-node-flags': { type: 'string', default: '' },
    /** Which phases to run, by number (1 unfiltered, 2 filtered, 3 no clients): for profiling one. */
    phases: { type: 'string', default: '1,2,3' },
    out: { type: 'string', default: '' },
  },
});

const GENERATORS = integerOption('generators', values.generators, 1, 4);
const CONNECTIONS = integerOption('connections', values.connections, 1, 15_000 * GENERATORS);
const KEYS = integerOption('keys', values.keys, 1, CONNECTIONS);
const TX_PER_KEY = integerOption('tx-per-key', values['tx-per-key'], 1, 100);
const BLOCKS_PER_SECOND = integerOption('blocks-per-second', values['blocks-per-second'], 1, 20);
const SECONDS = integerOption('seconds', values.seconds, 1, 60);
const WARMUP_SECONDS = integerOption('warmup-seconds', values['warmup-seconds'], 0, 10);
const PIN = !values['no-pin'] && CPUS >= 2;
const WARMUP_BLOCKS = WARMUP_SECONDS * BLOCKS_PER_SECOND;
const TOTAL_BLOCKS = WARMUP_BLOCKS + SECONDS * BLOCKS_PER_SECOND;

interface Phase {
  name: string;
  events: BlockEvent[];
  clients: number;
  /** Query strings; client i of each generator takes queries[i % length] ('' for none). */
  queries: string[];
}

/** Blocks of KEYS·TX_PER_KEY transactions, TX_PER_KEY paying each key, interleaved. */
function filteredBlocks(keys: string[]): BlockEvent[] {
  const pool = Array.from({ length: KEYS * TX_PER_KEY }, (_, j) =>
    makeTransaction({ to: [keys[j % KEYS]!] }),
  );
  const transactions = normaliseBlock({ height: 1, hash: null, transactions: pool }, 0).transactions;
  return Array.from({ length: TOTAL_BLOCKS }, (_, i) => ({
    height: i + 1,
    hash: null,
    chainId: null,
    transactions,
    rejected: [],
    digest: `bench-${i + 1}`,
    ingestedAt: 0,
  }));
}

/** The expected frames per block for each key, counted from the transactions themselves. */
function framesPerKey(block: BlockEvent, keys: string[]): Set<number> {
  const counts = new Map(keys.map((key) => [key, 0]));
  for (const tx of block.transactions)
    for (const key of tx.publicKeys) if (counts.has(key)) counts.set(key, counts.get(key)! + 1);
  return new Set(counts.values());
}

async function runPhase(
  phase: Phase,
  index: number,
  redis: Awaited<ReturnType<typeof startRedis>>,
): Promise<Record<string, unknown>> {
  log(`\n== ${phase.name}: ${phase.clients} clients`);
  const server = await startServer('blockcast', {
    processes: 1,
    pin: serverPin(PIN),
    nodeFlags: values['server-node-flags'].split(' ').filter((flag) => flag !== ''),
    events: phase.events,
    frames: [],
    redis: redis.client,
    redisUrl: redis.url,
  });
  const generators: Generator[] = phase.clients === 0 ? [] : newGenerators(GENERATORS);
  try {
    const connected =
      phase.clients === 0
        ? { open: 0, failed: 0, seconds: 0, errors: [] }
        : await connectClients(generators, {
            count: phase.clients,
            urls: () => phase.queries.map((query) => `${server.urls[0]}${query}`),
            addresses: (g) => sourceAddresses(10 * index + 2 * g, 2),
            concurrency: 128,
            clientKind: 'raw',
            txPerBlock: TX_PER_KEY,
            lastHeight: TOTAL_BLOCKS,
            warmupHeights: WARMUP_BLOCKS,
          });
    await appendOnSchedule(server, generators, 0, WARMUP_BLOCKS, BLOCKS_PER_SECOND);
    const before = readCpu(server.pids);
    await appendOnSchedule(server, generators, WARMUP_BLOCKS, TOTAL_BLOCKS, BLOCKS_PER_SECOND);
    const settled =
      generators.length === 0
        ? undefined
        : await waitSettled(generators, () => TOTAL_BLOCKS, monotonicMs(), 30_000);
    const cores = coresBetween(before, readCpu(server.pids));
    const report: MergedReport | undefined =
      generators.length === 0 ? undefined : await collectReports(generators);
    const measuredFrames = connected.open * (TOTAL_BLOCKS - WARMUP_BLOCKS) * TX_PER_KEY;
    const result = {
      name: phase.name,
      clients: phase.clients,
      transactionsPerBlock: phase.events[0]!.transactions.length,
      connected,
      settled,
      framesPerSecond: measuredFrames / cores.seconds,
      gatewayCores: cores.processCores,
      machineCores: cores.machineCores,
      gatewaySeconds: cores.processSeconds,
      gatewaySecondsPer1kFrames: measuredFrames === 0 ? null : (cores.processSeconds / measuredFrames) * 1000,
      delivery: report && { ...report, phaseLatency: undefined },
      gatewayMetrics: await server.metrics(),
    };
    log(
      JSON.stringify({
        ...result,
        delivery: report && { complete: report.complete, orderErrors: report.orderErrors },
      }),
    );
    return result;
  } finally {
    await Promise.all(generators.map((g) => g.stop()));
    await server.stop();
  }
}

async function main(): Promise<void> {
  const machine = pinDriver(PIN);
  const ledger = new DemoLedger();
  const unfiltered = Array.from({ length: TOTAL_BLOCKS }, () =>
    normaliseBlock(ledger.nextBlock(TX_PER_KEY), 0),
  );
  const keys = Array.from({ length: KEYS }, () => newPublicKey());
  const filtered = filteredBlocks(keys);
  const expected = framesPerKey(filtered[0]!, keys);
  if (expected.size !== 1 || !expected.has(TX_PER_KEY))
    throw new Error(`filtered blocks do not give every key ${TX_PER_KEY} frames: ${[...expected]}`);
  log(
    `${TOTAL_BLOCKS} blocks per phase; filtered blocks of ${filtered[0]!.transactions.length} tx, ${TX_PER_KEY} per key`,
  );
  const phases: Phase[] = [
    { name: 'unfiltered', events: unfiltered, clients: CONNECTIONS, queries: [''] },
    {
      name: `${KEYS} public_key filters`,
      events: filtered,
      clients: CONNECTIONS,
      queries: keys.map((key) => `?public_key=${key}`),
    },
    { name: 'filtered blocks, no clients', events: filtered, clients: 0, queries: [''] },
  ];
  const redis = await startRedis();
  const results: Record<string, unknown>[] = [];
  try {
    const selected = new Set(values.phases.split(',').map(Number));
    for (const [index, phase] of phases.entries())
      if (selected.has(index + 1)) results.push(await runPhase(phase, index, redis));
  } finally {
    await redis.stop();
  }
  writeResult(values.out || `gateway-filter-cost-${CONNECTIONS}c-${KEYS}k`, {
    machine,
    scenario: {
      connections: CONNECTIONS,
      keys: KEYS,
      framesPerClientPerBlock: TX_PER_KEY,
      blocksPerSecond: BLOCKS_PER_SECOND,
      seconds: SECONDS,
      pinned: PIN,
      command: commandLine('bench/scenarios/gateway-filter-cost.bench.ts'),
    },
    phases: results,
  });
  printTable(results);
}

function printTable(results: Record<string, unknown>[]): void {
  const f = (n: unknown, d: number) => (typeof n === 'number' && Number.isFinite(n) ? n.toFixed(d) : '–');
  console.log(
    '\n| phase | clients | tx/block | complete | frames/s | p50 ms | p99 ms | gateway cores | gateway CPU s / 1k frames |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const d = r.delivery as MergedReport | undefined;
    console.log(
      `| ${r.name} | ${r.clients} | ${r.transactionsPerBlock} | ${d ? `${d.complete}/${d.clients}` : '–'} | ${f(r.framesPerSecond, 0)} | ${f(d?.latency.p50, 1)} | ${f(d?.latency.p99, 1)} | ${f(r.gatewayCores, 3)} | ${f(r.gatewaySecondsPer1kFrames, 4)} |`,
    );
  }
  if (results.length === 3) console.log(ratios(results));
}

/** Filtered against unfiltered CPU per frame, as measured and less the decoding floor. */
function ratios(results: Record<string, unknown>[]): string {
  const [plain, filtered, floor] = results as Array<{
    gatewaySeconds: number;
    gatewaySecondsPer1kFrames: number;
  }>;
  const ratio = filtered!.gatewaySecondsPer1kFrames / plain!.gatewaySecondsPer1kFrames;
  const aboveFloor =
    ((filtered!.gatewaySeconds - floor!.gatewaySeconds) / filtered!.gatewaySeconds) *
    filtered!.gatewaySecondsPer1kFrames;
  return `\nfiltered / unfiltered CPU per frame: ${ratio.toFixed(2)}×; without the decoding floor: ${(aboveFloor / plain!.gatewaySecondsPer1kFrames).toFixed(2)}×`;
}

await main();
