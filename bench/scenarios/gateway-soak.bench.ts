/**
 * Soak: does a gateway hold its memory and descriptors flat under steady churn? Runs a real
 * topology (its own redis-server, ingest, one gateway process, the demo chain committing a block
 * a second) and SOAK_CLIENTS `valid_blocks` clients in client processes, of which SOAK_CHURN (1 %)
 * close and resume with `since`/`epoch` every SOAK_CHURN_EVERY_S seconds, for SOAK_MINUTES.
 * Every SOAK_SAMPLE_S it records the gateway's RSS, its open descriptors and the clients' counts
 * (open, frames, reconnects, gaps, duplicates: every client checks its heights are consecutive).
 *
 *   npx tsx bench/scenarios/gateway-soak.bench.ts            # 30 minutes, 8 000 clients
 *   SOAK_MINUTES=5 npx tsx bench/scenarios/gateway-soak.bench.ts
 *
 * Writes bench/results/gateway-soak-<time>.json and prints a table for docs/reliability.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { freePort, startRedisServer, startService } from '@blockcast/devkit';
import { rssBytes } from '../harness/proc.js';
import { killOnExit } from '../harness/processes.js';

const env = process.env;
const minutes = Number(env.SOAK_MINUTES ?? 30);
const clientCount = Number(env.SOAK_CLIENTS ?? 8000);
const churnShare = Number(env.SOAK_CHURN ?? 0.01);
const churnEveryS = Number(env.SOAK_CHURN_EVERY_S ?? 3);
const sampleS = Number(env.SOAK_SAMPLE_S ?? 30);
/** Clients per process: a `ws` client process stays far below one core at a block a second. */
const PER_PROCESS = 2000;
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface ClientReport {
  open: number;
  gaps: number;
  duplicates: number;
  frames: number;
  reconnects: number;
  lowest: number;
}
interface Sample extends ClientReport {
  seconds: number;
  rssMiB: number;
  descriptors: number;
  head: number;
  load1: number;
}

const redis = await startRedisServer();
const ports = {
  ingest: await freePort(),
  ingestOps: await freePort(),
  gateway: await freePort(),
  gatewayOps: await freePort(),
};
const token = 'soak-token-0123456789abcdef';
const shared = { REDIS_URL: redis.url, LOG_LEVEL: 'warn', RETAIN_BLOCKS: '100000' };
const ingest = startService('ingest', {
  env: {
    ...shared,
    INGEST_TOKENS: token,
    INGEST_PORT: String(ports.ingest),
    INGEST_OPS_PORT: String(ports.ingestOps),
  },
});
const gateway = startService('gateway', {
  env: {
    ...shared,
    GATEWAY_PORT: String(ports.gateway),
    GATEWAY_OPS_PORT: String(ports.gatewayOps),
    GATEWAY_EXCLUSIVE_PORT: 'true',
  },
});
killOnExit(ingest.child);
killOnExit(gateway.child);
await ingest.waitUntilReady(`http://127.0.0.1:${ports.ingestOps}/readyz`);
await gateway.waitUntilReady(`http://127.0.0.1:${ports.gatewayOps}/readyz`);
const chain = startService('demo-chain', {
  env: {
    ...shared,
    INGEST_TOKENS: token,
    INGEST_URL: `http://127.0.0.1:${ports.ingest}`,
    DEMO_MAX_TRANSACTIONS: '20',
  },
});
killOnExit(chain.child);

const { Redis } = await import('ioredis');
const redisClient = new Redis(redis.url);
const head = async () =>
  Number(
    ((await redisClient.xrevrange('blockcast:blocks', '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0').split('-')[0],
  );
while ((await head()) < 2) await new Promise((resolve) => setTimeout(resolve, 200));
const epoch = (await redisClient.get('blockcast:epoch')) ?? '';
const since = await head();

const url = `ws://127.0.0.1:${ports.gateway}/api/v1/streams/valid_blocks`;
const processes: ChildProcess[] = [];
for (let i = 0; i * PER_PROCESS < clientCount; i += 1) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/loadgen/soak-clients.ts'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  killOnExit(child);
  // Several source addresses, so no one address runs out of ephemeral ports.
  const count = Math.min(PER_PROCESS, clientCount - i * PER_PROCESS);
  child.send({ type: 'start', url, epoch, since, count, localAddress: `127.0.0.${2 + i}` });
  processes.push(child);
}

const report = (child: ChildProcess) =>
  new Promise<ClientReport>((resolve) => {
    child.once('message', (message: ClientReport) => resolve(message));
    child.send({ type: 'report' });
  });
const totals = async (): Promise<ClientReport> => {
  const reports = await Promise.all(processes.map(report));
  const sum = (key: Exclude<keyof ClientReport, 'lowest'>) => reports.reduce((total, r) => total + r[key], 0);
  return {
    open: sum('open'),
    gaps: sum('gaps'),
    duplicates: sum('duplicates'),
    frames: sum('frames'),
    reconnects: sum('reconnects'),
    lowest: Math.min(...reports.map((r) => r.lowest)),
  };
};

const started = Date.now();
const churn = setInterval(() => {
  for (const child of processes) child.send({ type: 'churn', share: churnShare });
}, churnEveryS * 1000);
const samples: Sample[] = [];
const pid = gateway.child.pid!;
const takeSample = async () => {
  const sample: Sample = {
    seconds: Math.round((Date.now() - started) / 1000),
    rssMiB: Math.round((rssBytes(pid) / 2 ** 20) * 10) / 10,
    descriptors: readdirSync(`/proc/${pid}/fd`).length,
    head: await head(),
    load1: Math.round(loadavg()[0]! * 10) / 10,
    ...(await totals()),
  };
  samples.push(sample);
  process.stderr.write(`${JSON.stringify(sample)}\n`);
};
await takeSample();
while (Date.now() - started < minutes * 60_000) {
  await new Promise((resolve) => setTimeout(resolve, sampleS * 1000));
  await takeSample();
}
clearInterval(churn);
// Let the last reconnects land and every client reach the head before the final count.
const finalHead = await head();
await chain.stop();
const deadline = Date.now() + 60_000;
while ((await totals()).lowest < finalHead && Date.now() < deadline)
  await new Promise((r) => setTimeout(r, 1000));
await takeSample();

for (const child of processes) child.send({ type: 'stop' });
await gateway.stop();
await ingest.stop();
redisClient.disconnect();
await redis.stop();

const result = {
  command: `SOAK_MINUTES=${minutes} SOAK_CLIENTS=${clientCount} npx tsx bench/scenarios/gateway-soak.bench.ts`,
  clients: clientCount,
  churn: { share: churnShare, everySeconds: churnEveryS },
  samples,
};
const file = `bench/results/gateway-soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(new URL(`../../${file}`, import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `${[
    `| minute | gateway RSS (MiB) | descriptors | open clients | reconnects | frames | gaps | duplicates | load (1 min) |`,
    '|---|---|---|---|---|---|---|---|---|',
    ...samples.map(
      (s) =>
        `| ${(s.seconds / 60).toFixed(1)} | ${s.rssMiB} | ${s.descriptors} | ${s.open} | ${s.reconnects} | ${s.frames} | ${s.gaps} | ${s.duplicates} | ${s.load1} |`,
    ),
  ].join('\n')}\n${file}\n`,
);
process.exit(0);
