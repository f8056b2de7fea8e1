/**
 * A gateway process under a low open-files limit (`prlimit`), flooded with connections: it must
 * lower its connection limit at start and say so, answer every client (1013, 503, or a refused
 * TCP connection while it has stopped accepting), keep /readyz answering and never spin.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { type ServiceProcess, startService, uniquePrefix, waitUntil } from '@blockcast/devkit';
import WebSocket from 'ws';
import { freePort, redisOrSkip } from '../support/redis.js';

const LIMIT = 256;
const FLOOD = 1000;

const available = await redisOrSkip();
after(() => ('redis' in available ? available.redis.stop() : undefined));
const skip =
  'skip' in available
    ? available.skip
    : spawnSync('prlimit', ['--version']).status !== 0
      ? 'prlimit (util-linux) is not installed'
      : false;

async function startLimitedGateway(env: Record<string, string> = {}) {
  if (!('redis' in available)) throw new Error('no Redis');
  const port = await freePort();
  const opsPort = await freePort();
  const gateway = startService('gateway', {
    env: {
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: String(port),
      GATEWAY_OPS_PORT: String(opsPort),
      GATEWAY_DRAIN_DELAY_MS: '0',
      REDIS_URL: available.redis.url,
      BLOCKCAST_STREAM_PREFIX: uniquePrefix('fd'),
      ...env,
    },
    launch: {
      command: 'prlimit',
      args: [
        `--nofile=${LIMIT}:${LIMIT}`,
        process.execPath,
        '--import',
        'tsx',
        'services/gateway/src/main.ts',
      ],
      cwd: new URL('../../', import.meta.url).pathname,
    },
  });
  running = gateway;
  await gateway.waitUntilReady(`http://127.0.0.1:${opsPort}/readyz`);
  return { gateway, port, opsPort, pid: gateway.child.pid! };
}

let running: ServiceProcess | undefined;
after(() => running?.stop());

async function metricsText(opsPort: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${opsPort}/metrics`).catch(() => undefined))?.text() ?? '';
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The share of one core the process used over the next `ms`. */
async function cpuShareOver(pid: number, ms: number): Promise<number> {
  const before = cpuSeconds(pid);
  const startedAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (cpuSeconds(pid) - before) / ((Date.now() - startedAt) / 1000);
}

/** Waits for /readyz to say 200 again, then opens one WebSocket and asserts it opens. */
async function assertAcceptingAgain(port: number, opsPort: number): Promise<void> {
  await waitUntil(
    async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => undefined))?.status === 200,
    20_000,
    'the gateway ready again',
  );
  const [again] = await flood(port, 1).outcomes;
  assert.equal(again, 'open', 'a new client is accepted once the flood is gone');
}

type Outcome = 'open' | 'closed 1013' | 'http 503' | 'refused' | 'timed out' | string;

/**
 * Opens `count` WebSockets at once; resolves with how each attempt ended (an open one stays open).
 * `known` fills in as attempts end. An open socket counts as 'open' once its text "ping" is
 * answered: a gateway at capacity closes right after opening, and that close would come first.
 */
function flood(
  port: number,
  count: number,
): { outcomes: Promise<Outcome[]>; sockets: WebSocket[]; known: Outcome[] } {
  const sockets: WebSocket[] = [];
  const known: Outcome[] = [];
  const outcomes = Array.from(
    { length: count },
    () =>
      new Promise<Outcome>((resolve) => {
        const socket = new WebSocket(`ws://127.0.0.1:${port}/api/v1/streams/valid_blocks`, {
          handshakeTimeout: 15_000,
        });
        sockets.push(socket);
        socket.on('open', () => socket.send('ping'));
        socket.on('message', (data) => {
          if (String(data) === 'pong') resolve('open');
        });
        socket.on('close', (code) => resolve(`closed ${code}`));
        socket.on('unexpected-response', (_request, response) => resolve(`http ${response.statusCode}`));
        socket.on('error', (error: NodeJS.ErrnoException) => {
          if (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET' || error.code === 'EPIPE')
            resolve('refused');
          else if (/handshake has timed out/.test(error.message)) resolve('timed out');
          else resolve(`error ${error.message}`);
        });
      }),
  );
  for (const outcome of outcomes) void outcome.then((each) => known.push(each));
  return { outcomes: Promise.all(outcomes), sockets, known };
}

function tally(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

test(
  'under an open-files limit below GATEWAY_MAX_CONNECTIONS the gateway lowers the limit and says so',
  { skip, timeout: 30_000 },
  async () => {
    const { gateway, opsPort } = await startLimitedGateway({ GATEWAY_MAX_CONNECTIONS: '19000' });
    assert.match(gateway.output(), /GATEWAY_MAX_CONNECTIONS=19000 does not fit the open-files limit \(256\)/);
    const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    const limit = /^blockcast_gateway_max_connections\{[^}]*\} (\d+)$/m.exec(metrics)?.[1];
    assert.equal(
      limit,
      String(LIMIT - 128),
      'the limit in force is the open-files limit less GATEWAY_FD_RESERVE',
    );
    await gateway.stop();
  },
);

test(
  'a connection flood past the open-files limit ends in 1013, 503 or a refused connection, with /readyz answering and no spin',
  { skip, timeout: 90_000 },
  async (t) => {
    const { gateway, port, opsPort, pid } = await startLimitedGateway();

    const { outcomes, sockets, known } = flood(port, FLOOD);
    // Measured once the flood is past the limit: some attempt has been turned away.
    await waitUntil(() => known.some((outcome) => outcome !== 'open'), 20_000, 'the flood turned away');
    const cpuShare = await cpuShareOver(pid, 4000);
    const probeStarted = Date.now();
    const readyz = await fetch(`http://127.0.0.1:${opsPort}/readyz`, { signal: AbortSignal.timeout(3000) });
    const probeMs = Date.now() - probeStarted;
    const counts = tally(await outcomes);
    t.diagnostic(
      `cpu ${cpuShare.toFixed(2)} of a core; /readyz ${readyz.status} in ${probeMs} ms; ${JSON.stringify(counts)}`,
    );

    assert.ok(
      cpuShare < 0.5,
      `the gateway used ${cpuShare.toFixed(2)} of a core while flooded (a spin uses ~1)`,
    );
    assert.ok([200, 503].includes(readyz.status), `/readyz answered ${readyz.status} in ${probeMs} ms`);
    const answered = (counts.open ?? 0) + (counts['closed 1013'] ?? 0) + (counts['http 503'] ?? 0);
    assert.equal(
      answered + (counts.refused ?? 0),
      FLOOD,
      `every attempt was answered: ${JSON.stringify(counts)}`,
    );
    assert.ok(
      (counts.open ?? 0) <= LIMIT - 128,
      `at most the lowered limit stayed open: ${JSON.stringify(counts)}`,
    );
    assert.ok((counts['closed 1013'] ?? 0) + (counts['http 503'] ?? 0) > 0, JSON.stringify(counts));

    for (const socket of sockets) socket.terminate();
    await assertAcceptingAgain(port, opsPort);
    await gateway.stop();
  },
);

test(
  'idle TCP connections that fill the descriptors stop accepting, without a spin, until they are gone',
  { skip, timeout: 90_000 },
  async (t) => {
    const { gateway, port, opsPort, pid } = await startLimitedGateway();

    // Connections that never send a request hold a descriptor each until uWS's HTTP timeout.
    const idle: Socket[] = [];
    for (let i = 0; i < FLOOD; i++) idle.push(connect(port, '127.0.0.1').on('error', () => {}));
    await waitUntil(
      async () => /^blockcast_gateway_accept_paused(\{[^}]*\})? 1$/m.test(await metricsText(opsPort)),
      20_000,
      'the gateway stopped accepting',
    );
    const cpuShare = await cpuShareOver(pid, 3000);
    const readyz = await fetch(`http://127.0.0.1:${opsPort}/readyz`, { signal: AbortSignal.timeout(3000) });
    const body = (await readyz.json()) as { reason?: string };
    const { outcomes } = flood(port, 1);
    const [late] = await outcomes;
    t.diagnostic(
      `cpu ${cpuShare.toFixed(2)} of a core; /readyz ${readyz.status} ${body.reason}; late client: ${late}`,
    );

    assert.ok(cpuShare < 0.5, `the gateway used ${cpuShare.toFixed(2)} of a core (a spin uses ~1)`);
    assert.equal(readyz.status, 503);
    assert.match(String(body.reason), /file descriptors/);
    assert.ok(
      late === 'refused' || late === 'http 503',
      `a client while paused is answered at once: ${late}`,
    );
    const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    assert.match(metrics, /^blockcast_gateway_accept_pauses_total\{[^}]*\} [1-9]/m);

    for (const socket of idle) socket.destroy();
    await assertAcceptingAgain(port, opsPort);
    await gateway.stop();
  },
);
