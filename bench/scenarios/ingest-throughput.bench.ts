/**
 * Ingest throughput: blocks of 10 realistic transactions POSTed to an ingest process over one
 * HTTP keep-alive connection (undici) at several pipelining depths, contiguous heights, on a
 * real Redis; beside two baselines from the same session — raw XADD of the same bodies (the
 * Redis limit) and RedisStreamLog.append in-process without HTTP (the bus limit).
 *
 *   npx tsx bench/scenarios/ingest-throughput.bench.ts [--blocks 6000] [--depths 1,4,8,16,32,64]
 *
 * Prints a markdown table for docs/benchmarks.md. Not part of `npm test`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { freePort, makeBlock, startRedisServer, startService, uniquePrefix } from '@blockcast/devkit';
import { RedisStreamLog } from '@blockcast/event-log';
import { normaliseBlock } from '@blockcast/protocol';
import { Redis } from 'ioredis';
import { Client } from 'undici';

const { values } = parseArgs({
  options: {
    blocks: { type: 'string', default: '6000' },
    depths: { type: 'string', default: '1,4,8,16,32,64' },
    transactions: { type: 'string', default: '10' },
  },
});
const BLOCKS = Number(values.blocks);
const DEPTHS = values.depths.split(',').map(Number);
const TX_PER_BLOCK = Number(values.transactions);
const WARMUP_BLOCKS = 1000;
const TOKEN = 'bench-ingest-token-0123456789abcdef';
/** Distinct transaction sets; bodies differ by height and hash, so every block has its own digest. */
const POOL = 500;

interface Result {
  name: string;
  depth: number;
  blocks: number;
  seconds: number;
  latenciesMs: number[];
  ingestCpu?: number;
  redisCpu: number;
  /** This process: the load generator (and, for the baselines, the code under test). */
  clientCpu: number;
}

const pool: string[] = Array.from({ length: POOL }, () =>
  JSON.stringify(makeBlock(1, TX_PER_BLOCK).transactions),
);

function body(height: number): string {
  const hash = height.toString(16).toUpperCase().padStart(64, '0');
  return `{"height":${height},"hash":"${hash}","transactions":${pool[height % POOL]}}`;
}

/** Runs `send(height)` for `count` heights from `first`, at most `depth` in flight, dispatched in height order. */
async function drive(
  first: number,
  count: number,
  depth: number,
  send: (height: number) => Promise<void>,
): Promise<{ seconds: number; latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  let next = first;
  const end = first + count;
  const started = performance.now();
  const worker = async () => {
    while (next < end) {
      const height = next++;
      const t0 = performance.now();
      await send(height);
      latenciesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: depth }, worker));
  return { seconds: (performance.now() - started) / 1000, latenciesMs };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** CPU seconds used so far by a process (utime + stime from /proc). */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const read = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return read('used_cpu_user') + read('used_cpu_sys');
}

async function measure(
  name: string,
  depth: number,
  first: number,
  admin: Redis,
  send: (height: number) => Promise<void>,
  ingestPid?: number,
): Promise<Result> {
  const redisBefore = await redisCpuSeconds(admin);
  const ingestBefore = ingestPid === undefined ? 0 : processCpuSeconds(ingestPid);
  const clientBefore = process.cpuUsage();
  const { seconds, latenciesMs } = await drive(first, BLOCKS, depth, send);
  const client = process.cpuUsage(clientBefore);
  const result: Result = {
    name,
    depth,
    blocks: BLOCKS,
    seconds,
    latenciesMs: latenciesMs.sort((a, b) => a - b),
    redisCpu: ((await redisCpuSeconds(admin)) - redisBefore) / seconds,
    clientCpu: (client.user + client.system) / 1e6 / seconds,
  };
  if (ingestPid !== undefined) result.ingestCpu = (processCpuSeconds(ingestPid) - ingestBefore) / seconds;
  return result;
}

function row(result: Result): string {
  const blocksPerSecond = result.blocks / result.seconds;
  const ms = (p: number) => percentile(result.latenciesMs, p).toFixed(2);
  const max = result.latenciesMs.at(-1)?.toFixed(2);
  const cpu = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(2));
  return `| ${result.name} | ${result.depth} | ${Math.round(blocksPerSecond)} | ${Math.round(blocksPerSecond * TX_PER_BLOCK)} | ${ms(50)} | ${ms(99)} | ${max} | ${cpu(result.ingestCpu)} | ${cpu(result.redisCpu)} | ${cpu(result.clientCpu)} |`;
}

async function main(): Promise<void> {
  const redis = process.env.REDIS_URL
    ? { url: process.env.REDIS_URL, source: 'REDIS_URL', stop: async () => {} }
    : { ...(await startRedisServer()), source: 'redis-server' };
  const admin = new Redis(redis.url);
  const results: Result[] = [];
  process.stderr.write(
    `redis ${redis.source} ${redis.url}; ${BLOCKS} blocks of ${TX_PER_BLOCK} tx per run\n`,
  );
  process.stderr.write(`body size ${Buffer.byteLength(body(1))} bytes\n`);

  // Baseline 1: raw XADD of the same bodies, pipelined by ioredis, same depths.
  for (const depth of DEPTHS) {
    const key = `${uniquePrefix('bench-xadd')}blocks`;
    const send = async (height: number) => void (await admin.xadd(key, `${height}-0`, 'block', body(height)));
    await drive(1, WARMUP_BLOCKS, depth, send);
    results.push(await measure('raw XADD (ioredis)', depth, WARMUP_BLOCKS + 1, admin, send));
    await admin.del(key);
  }

  // Baseline 2: what ingest does per block without HTTP: parse, normalise (digest), append script.
  {
    const prefix = uniquePrefix('bench-log');
    const log = new RedisStreamLog({ redis: admin, prefix });
    const send = async (height: number) => void (await log.append(normaliseBlock(JSON.parse(body(height)))));
    await drive(1, WARMUP_BLOCKS, 1, send);
    results.push(await measure('RedisStreamLog.append, in-process', 1, WARMUP_BLOCKS + 1, admin, send));
    await admin.del(log.key);
  }

  // Ingest as deployed: its own process, bearer auth, one keep-alive connection, pipelined.
  const port = await freePort();
  const opsPort = await freePort();
  const prefix = uniquePrefix('bench-ingest');
  const ingest = startService('ingest', {
    env: {
      INGEST_HOST: '127.0.0.1',
      INGEST_PORT: String(port),
      INGEST_OPS_PORT: String(opsPort),
      INGEST_TOKENS: TOKEN,
      REDIS_URL: redis.url,
      BLOCKCAST_STREAM_PREFIX: prefix,
      LOG_LEVEL: 'warn',
    },
  });
  const key = `${prefix}blocks`;
  let sent = 0;
  try {
    await ingest.waitUntilReady(`http://127.0.0.1:${opsPort}/readyz`);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
    for (const depth of DEPTHS) {
      const client = new Client(`http://127.0.0.1:${port}`, { pipelining: depth });
      const send = async (height: number) => {
        const response = await client.request({
          method: 'POST',
          path: '/api/v1/blocks',
          headers,
          body: body(height),
          // undici pipelines only idempotent requests; posting a block is (a resend is a 200 duplicate).
          idempotent: true,
        });
        const text = await response.body.text();
        if (response.statusCode !== 201) throw new Error(`block ${height}: ${response.statusCode} ${text}`);
      };
      const first = sent + 1;
      await drive(first, WARMUP_BLOCKS, depth, send);
      results.push(
        await measure('ingest HTTP (undici)', depth, first + WARMUP_BLOCKS, admin, send, ingest.child.pid),
      );
      sent += WARMUP_BLOCKS + BLOCKS;
      await client.close();
    }
    const length = await admin.xlen(key);
    if (length !== sent) throw new Error(`XLEN ${key} is ${length}, but ${sent} blocks were sent`);
    process.stderr.write(`verified: XLEN ${key} = ${length} = blocks sent (warm-up included)\n`);
    console.log(
      '| path | in flight | blocks/s | tx/s | p50 ms | p99 ms | max ms | ingest CPU | redis CPU | client CPU |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const result of results) console.log(row(result));
  } finally {
    // The test redis-server is unref'd: without something holding the event loop, the process
    // would end while waiting for it to stop.
    const keepAlive = setInterval(() => {}, 1000);
    await ingest.stop();
    await admin.del(key);
    await admin.quit();
    await redis.stop();
    clearInterval(keepAlive);
  }
}

await main();
