/**
 * `npm run start:topology`: the production shape on one machine — a local redis-server (or
 * REDIS_URL), ingest, two gateways sharing port 9985 (SO_REUSEPORT: the kernel balances
 * connections between them), discovery and the demo chain, each its own process.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServiceProcess, startService } from './service-process.js';

const redisUrl = process.env.REDIS_URL ?? (await startRedis(Number(process.env.TOPOLOGY_REDIS_PORT ?? 6390)));
const token = randomBytes(24).toString('hex');
const shared = { REDIS_URL: redisUrl, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' };

const services: ServiceProcess[] = [
  startService('ingest', { env: { ...shared, INGEST_TOKENS: token, INGEST_OPS_PORT: '9987' }, echo: true }),
  startService('gateway', { name: 'gateway-1', env: { ...shared, GATEWAY_OPS_PORT: '9988' }, echo: true }),
  startService('gateway', { name: 'gateway-2', env: { ...shared, GATEWAY_OPS_PORT: '9989' }, echo: true }),
  startService('discovery', { env: { ...shared, DISCOVERY_OPS_PORT: '9990' }, echo: true }),
];
try {
  await Promise.all([
    services[0]!.waitUntilReady('http://127.0.0.1:9987/readyz'),
    services[1]!.waitUntilReady('http://127.0.0.1:9988/readyz'),
    services[2]!.waitUntilReady('http://127.0.0.1:9989/readyz'),
    services[3]!.waitUntilReady('http://127.0.0.1:9990/readyz'),
  ]);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  await Promise.all(services.map((service) => service.stop()));
  process.exit(1);
}
services.push(startService('demo-chain', { env: { ...shared, INGEST_TOKENS: token }, echo: true }));

process.stdout.write(
  `${[
    '',
    `blockcast topology running on ${redisUrl}`,
    '  API root      http://localhost:9984/api/v1/',
    '  streams       ws://localhost:9985/api/v1/streams/valid_transactions  (gateway-1 and gateway-2 share the port)',
    `  ingest        http://localhost:9986/api/v1/blocks   Authorization: Bearer ${token}`,
    '  metrics       http://localhost:9988/metrics  http://localhost:9989/metrics  (ingest: http://localhost:9987/metrics, discovery: http://localhost:9990/metrics)',
    '  watch:        npm run watch',
    '',
  ].join('\n')}\n`,
);

let stopping = false;
const stopAll = async () => {
  if (stopping) return;
  stopping = true;
  for (const service of [...services].reverse()) await service.stop();
  process.exit(0);
};
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);

/** A redis-server of our own on `port`, stopped with this process; refuses a port already in use. */
async function startRedis(port: number): Promise<string> {
  const url = `redis://127.0.0.1:${port}`;
  if (await answersPing(port)) {
    process.stderr.write(
      `something already listens on ${port}: set REDIS_URL=${url} to use it, or TOPOLOGY_REDIS_PORT\n`,
    );
    process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), 'blockcast-topology-'));
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''],
    {
      stdio: 'ignore',
    },
  );
  redis.once('error', () => {
    process.stderr.write(
      'redis-server not found: install it (apt-get install -y redis-server) or set REDIS_URL\n',
    );
    process.exit(1);
  });
  process.once('exit', () => redis.kill('SIGTERM'));
  for (let attempt = 0; attempt < 100 && !(await answersPing(port)); attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return url;
}

/** True when a Redis on 127.0.0.1:`port` answers PING (raw RESP, so no client library is needed here). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.once('error', () => done(false));
    socket.setTimeout(500, () => done(false));
  });
}
