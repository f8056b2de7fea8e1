/**
 * `npm run start:topology`: the production shape on one machine — a local redis-server (or
 * REDIS_URL), ingest, two gateways sharing port 9985 (SO_REUSEPORT: the kernel balances
 * connections between them), discovery and the demo chain, each its own process.
 */

import { randomBytes } from 'node:crypto';
import { readPort } from '@blockcast/common';
import { answersPing, type ServiceProcess, startRedisServer, startService } from '@blockcast/devkit';

const redisUrl = process.env.REDIS_URL ?? (await startRedis(readTopologyRedisPort()));
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

function readTopologyRedisPort(): number {
  try {
    return readPort(process.env, 'TOPOLOGY_REDIS_PORT', 6390);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}

/** A redis-server of our own on `port`, answering PING, stopped with this process; refuses a port already in use. */
async function startRedis(port: number): Promise<string> {
  if (await answersPing(port)) {
    process.stderr.write(
      `something already listens on ${port}: set REDIS_URL=redis://127.0.0.1:${port} to use it, or TOPOLOGY_REDIS_PORT\n`,
    );
    process.exit(1);
  }
  try {
    return (await startRedisServer({ port })).url;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}, or set REDIS_URL\n`);
    process.exit(1);
  }
}
