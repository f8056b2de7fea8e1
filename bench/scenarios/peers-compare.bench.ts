/**
 * Issue 10: blockcast against the servers people pick instead — Centrifugo v6 (Redis engine,
 * history, recovery), Socket.IO 4 with @socket.io/redis-streams-adapter, Planetmint's own
 * WebSocket server — and the raw uWS loop (the limit) and `ws`. One scenario per run, every
 * selected server one after another, the same blocks, the same load generator (each peer's own
 * protocol over one raw client), each server pinned to CPU 0 and everything else to CPU 1, every
 * client's delivery verified (count and order per height: lost / duplicated / reordered).
 *
 *   npx tsx bench/scenarios/peers-compare.bench.ts --scenario idle|fanout|saturation|slow|storm
 *     [--servers blockcast,centrifugo,socketio,planetmint,raw-uws,ws] [--connections 10000]
 *     [--idle-connections 1000,19500] [--blocks-per-second 5] [--tx-per-block 20] [--seconds 15]
 *     [--saturation-connections 1000] [--steps 1,2,5,10,25,50,100] [--step-seconds 4]
 *     [--stalled-percent 5] [--before-seconds 5] [--pause-seconds 10] [--after-seconds 5]
 *     [--back 20] [--steady-seconds 3] [--storm-seconds 15]
 *     [--server-processes 1] [--generators 2] [--centrifugo ~/go/bin/centrifugo] [--no-pin]
 *     [--server-node-flags="--cpu-prof --cpu-prof-dir=/tmp/prof"]
 *
 * Writes bench/results/peers-<scenario>.json (rows for bench/report/plot-peers.py) and prints a table.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DemoLedger } from '@blockcast/demo-chain';
import { normaliseBlock, validTransactionFrame } from '@blockcast/protocol';
import { startRedis } from '../harness/processes.js';
import {
  CPUS,
  commandLine,
  integerOption,
  log,
  pinDriver,
  serverPin,
  writeResult,
} from '../harness/scenario.js';
import { printRows } from '../report/peers-rows-table.js';
import { PEERS, type PeerName } from '../servers/peers/servers.js';
import { fanoutBlocks, fanoutScenario } from './peers-compare/fanout.js';
import { idleScenario } from './peers-compare/idle.js';
import { saturationBlocks, saturationScenario } from './peers-compare/saturation.js';
import { type PeerRow, type Session, type SessionContext, withSession } from './peers-compare/session.js';
import { slowBlocks, slowScenario } from './peers-compare/slow.js';
import { stormBlocks, stormScenario } from './peers-compare/storm.js';

const SCENARIOS = ['idle', 'fanout', 'saturation', 'slow', 'storm'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'fanout' },
    servers: { type: 'string', default: PEERS.join(',') },
    connections: { type: 'string', default: '10000' },
    'idle-connections': { type: 'string', default: '1000,19500' },
    'blocks-per-second': { type: 'string', default: '5' },
    'tx-per-block': { type: 'string', default: '20' },
    seconds: { type: 'string', default: '15' },
    'warmup-seconds': { type: 'string', default: '2' },
    'saturation-connections': { type: 'string', default: '1000' },
    steps: { type: 'string', default: '1,2,5,10,25,50,100' },
    'step-seconds': { type: 'string', default: '4' },
    'stalled-percent': { type: 'string', default: '5' },
    'before-seconds': { type: 'string', default: '5' },
    'pause-seconds': { type: 'string', default: '10' },
    'after-seconds': { type: 'string', default: '5' },
    back: { type: 'string', default: '20' },
    'steady-seconds': { type: 'string', default: '3' },
    'storm-seconds': { type: 'string', default: '15' },
    'server-processes': { type: 'string', default: '1' },
    generators: { type: 'string', default: '2' },
    centrifugo: { type: 'string', default: join(homedir(), 'go/bin/centrifugo') },
    /** Extra node flags for the Node servers, space-separated: --server-node-flags="--cpu-prof --cpu-prof-dir=/tmp/prof". */
    'server-node-flags': { type: 'string', default: '' },
    'no-pin': { type: 'boolean', default: false },
    out: { type: 'string', default: '' },
  },
});

const SCENARIO = values.scenario as Scenario;
if (!SCENARIOS.includes(SCENARIO)) throw new RangeError(`--scenario must be one of ${SCENARIOS.join(', ')}`);
const SERVERS = values.servers.split(',') as PeerName[];
for (const server of SERVERS) if (!PEERS.includes(server)) throw new RangeError(`unknown server ${server}`);
const list = (name: string, value: string, min: number, max: number) =>
  value.split(',').map((item) => integerOption(name, item, min, max));
const GENERATORS = integerOption('generators', values.generators, 1, 4);
const PROCESSES = integerOption('server-processes', values['server-processes'], 1, 4);
const CONNECTIONS = integerOption('connections', values.connections, 1, 15_000 * GENERATORS);
const IDLE_CONNECTIONS = list('idle-connections', values['idle-connections'], 1, 15_000 * GENERATORS);
const BLOCKS_PER_SECOND = integerOption('blocks-per-second', values['blocks-per-second'], 1, 200);
const TX_PER_BLOCK = integerOption('tx-per-block', values['tx-per-block'], 1, 1000);
const PIN = !values['no-pin'] && CPUS >= 2;

const fanout = {
  connections: CONNECTIONS,
  blocksPerSecond: BLOCKS_PER_SECOND,
  txPerBlock: TX_PER_BLOCK,
  seconds: integerOption('seconds', values.seconds, 1, 120),
  warmupSeconds: integerOption('warmup-seconds', values['warmup-seconds'], 0, 10),
  drainMs: 5_000,
};
const saturation = {
  connections: integerOption(
    'saturation-connections',
    values['saturation-connections'],
    1,
    15_000 * GENERATORS,
  ),
  txPerBlock: TX_PER_BLOCK,
  steps: list('steps', values.steps, 1, 1000),
  stepSeconds: integerOption('step-seconds', values['step-seconds'], 1, 60),
};
const slow = {
  connections: CONNECTIONS,
  blocksPerSecond: BLOCKS_PER_SECOND,
  txPerBlock: TX_PER_BLOCK,
  stalledPercent: integerOption('stalled-percent', values['stalled-percent'], 1, 50),
  beforeSeconds: integerOption('before-seconds', values['before-seconds'], 1, 120),
  pauseSeconds: integerOption('pause-seconds', values['pause-seconds'], 1, 120),
  afterSeconds: integerOption('after-seconds', values['after-seconds'], 1, 120),
};
const storm = {
  connections: CONNECTIONS,
  blocksPerSecond: BLOCKS_PER_SECOND,
  txPerBlock: TX_PER_BLOCK,
  back: integerOption('back', values.back, 1, 500),
  steadySeconds: integerOption('steady-seconds', values['steady-seconds'], 1, 60),
  stormSeconds: integerOption('storm-seconds', values['storm-seconds'], 1, 120),
};

function blocksNeeded(): number {
  switch (SCENARIO) {
    case 'idle':
      return 1;
    case 'fanout':
      return fanoutBlocks(fanout);
    case 'saturation':
      return saturationBlocks(saturation);
    case 'slow':
      return slowBlocks(slow);
    case 'storm':
      return stormBlocks(storm);
  }
}

function scenarioRun(session: Session, idleCount: number): Promise<PeerRow[]> {
  switch (SCENARIO) {
    case 'idle':
      return idleScenario(session, idleCount);
    case 'fanout':
      return fanoutScenario(session, fanout);
    case 'saturation':
      return saturationScenario(session, saturation);
    case 'slow':
      return slowScenario(session, slow);
    case 'storm':
      return stormScenario(session, storm);
  }
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const machine = pinDriver(PIN);
  const ledger = new DemoLedger();
  const blocks = Array.from({ length: blocksNeeded() }, () => ledger.nextBlock(TX_PER_BLOCK));
  const events = blocks.map((block) => normaliseBlock(block, 0));
  const frames = events.map((event) =>
    event.transactions.map((tx) => validTransactionFrame('bigchaindb', event.height, tx)),
  );
  const redis = await startRedis();
  const context: SessionContext = {
    processes: PROCESSES,
    generators: GENERATORS,
    redis: redis.client,
    options: {
      pin: serverPin(PIN),
      nodeFlags: values['server-node-flags'].split(' ').filter((flag) => flag !== ''),
      events,
      frames,
      blocks,
      redis: redis.client,
      redisUrl: redis.url,
      centrifugoBinary: values.centrifugo,
      historyFrames: Math.max(10_000, storm.back * TX_PER_BLOCK * 2),
      // Room for 19 500 idle clients in one gateway process.
      gatewayEnv: { GATEWAY_MAX_CONNECTIONS: '19900' },
    },
  };
  const rows: PeerRow[] = [];
  try {
    for (const count of SCENARIO === 'idle' ? IDLE_CONNECTIONS : [0]) {
      for (const server of SERVERS) {
        rows.push(...(await withSession(server, context, (session) => scenarioRun(session, count))));
        log(JSON.stringify(rows.at(-1)));
      }
    }
  } finally {
    await redis.stop();
  }
  const parameters = { idle: IDLE_CONNECTIONS, fanout, saturation, slow, storm }[SCENARIO];
  writeResult(values.out || `peers-${SCENARIO}`, {
    machine: {
      ...machine,
      uptime: machine.loadavg,
      pinned: PIN,
      serverProcesses: PROCESSES,
      generators: GENERATORS,
    },
    command: commandLine('bench/scenarios/peers-compare.bench.ts'),
    startedAt,
    scenario: SCENARIO,
    parameters,
    rows,
  });
  printRows(SCENARIO, rows);
}

await main();
