/**
 * What the TypeScript SDK costs a consumer: client CPU per frame of `@blockcast/client` (resume
 * point kept per frame, dedupe, a handler awaited per frame) against a bare `ws` client that only
 * parses each frame, both fed the same valid_transactions frames by one WebSocket server in the
 * same run at a target rate (≥ 100 000 frames/s). Each client is a process of its own, so its
 * CPU is its own (`process.cpuUsage`).
 *
 *   npx tsx bench/client-sdk-cost.ts [--frames 1000000] [--rate 100000]
 *
 * The server stands in for a gateway (frames as the gateway writes them, discovery's root and
 * catalog documents); the gateway's own cost is measured by the gateway benches. Not in `npm test`.
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

const TX_PER_BLOCK = 10;

interface ClientReport {
  kind: string;
  frames: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  wallMs: number;
}

async function runClient(kind: 'bare' | 'sdk', apiRoot: string, frames: number): Promise<void> {
  // Measured from the first frame: start-up (module loading, connecting) is not per-frame cost.
  let started = process.cpuUsage();
  let wall = Date.now();
  let count = 0;
  const first = (): void => {
    started = process.cpuUsage();
    wall = Date.now();
  };
  const done = (): void => {
    const cpu = process.cpuUsage(started);
    const report: ClientReport = {
      kind,
      frames: count,
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      wallMs: Date.now() - wall,
    };
    process.send?.(report, () => process.exit(0));
  };
  if (kind === 'bare') {
    const { default: WebSocket } = await import('ws');
    const root = (await (await fetch(apiRoot)).json()) as { streams: string };
    const socket = new WebSocket(root.streams, { perMessageDeflate: false });
    socket.on('message', (data) => {
      if (count === 0) first();
      JSON.parse(String(data));
      count += 1;
      if (count === frames) done();
    });
    process.send?.({ ready: true });
    return;
  }
  const { BlockcastClient } = await import('@blockcast/client/node');
  const client = new BlockcastClient({ apiRoot });
  const subscription = client.subscribe('valid_transactions', {
    onEvent: () => {
      if (count === 0) first();
      count += 1;
      if (count === frames) done();
    },
  });
  subscription.on('state', ({ state }) => {
    if (state === 'open') process.send?.({ ready: true });
  });
  void subscription.start();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { frames: { type: 'string', default: '1000000' }, rate: { type: 'string', default: '100000' } },
  });
  const frames = Number(values.frames);
  const rate = Number(values.rate);
  const http = createServer((request, response) => {
    const port = (http.address() as AddressInfo).port;
    const body =
      request.url === '/api/v1/streams'
        ? { epoch: 'bench', head_height: 0, oldest_height: 1 }
        : { streams: `ws://127.0.0.1:${port}/api/v1/streams/valid_transactions` };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  const server = new WebSocketServer({ server: http, perMessageDeflate: false });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const apiRoot = `http://127.0.0.1:${(http.address() as AddressInfo).port}/api/v1/`;

  const clients = (['bare', 'sdk'] as const).map((kind) =>
    fork(new URL(import.meta.url), ['--client', kind, apiRoot, String(frames)], {
      execArgv: ['--import', 'tsx'],
    }),
  );
  const reports = clients.map(
    (child) =>
      new Promise<ClientReport>((resolve) =>
        child.on('message', (message: ClientReport & { ready?: boolean }) => {
          if (message.ready !== true) resolve(message);
        }),
      ),
  );
  await Promise.all(
    clients.map(
      (child) =>
        new Promise<void>((resolve) =>
          child.on('message', (message: { ready?: boolean }) => message.ready && resolve()),
        ),
    ),
  );
  // Frames as the gateway writes them: one block of TX_PER_BLOCK transactions per height.
  const id = (height: number, i: number) =>
    `${height.toString(16).padStart(32, '0')}${i.toString(16).padStart(32, '0')}`;
  const frame = (n: number) => {
    const height = Math.floor(n / TX_PER_BLOCK) + 1;
    const tx = id(height, n % TX_PER_BLOCK);
    return `{"height": ${height}, "asset_id": "${tx}", "transaction_id": "${tx}"}`;
  };
  const started = Date.now();
  const batch = Math.max(1, Math.floor(rate / 100));
  for (let sent = 0; sent < frames; ) {
    const due = Math.min(frames, Math.floor(((Date.now() - started) / 1000) * rate) + batch);
    for (; sent < due; sent += 1) {
      const text = frame(sent);
      for (const socket of server.clients) socket.send(text);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const sendMs = Date.now() - started;
  const results = await Promise.all(reports);
  http.close();
  server.close();
  const rows = results.map((report) => ({
    client: report.kind,
    frames: report.frames,
    'frames/s': Math.round(report.frames / (report.wallMs / 1000)),
    'CPU µs/frame': ((report.cpuUserUs + report.cpuSystemUs) / report.frames).toFixed(2),
  }));
  const [bare, sdk] = results;
  const perFrame = (report: ClientReport) => (report.cpuUserUs + report.cpuSystemUs) / report.frames;
  console.log(
    JSON.stringify({ targetRate: rate, sentAtRate: Math.round(frames / (sendMs / 1000)), rows }, null, 2),
  );
  if (bare !== undefined && sdk !== undefined)
    console.log(`| SDK CPU per frame ÷ bare ws | ${(perFrame(sdk) / perFrame(bare)).toFixed(2)} |`);
}

const clientIndex = process.argv.indexOf('--client');
if (clientIndex === -1) await main();
else {
  const [kind, apiRoot, frames] = process.argv.slice(clientIndex + 1);
  await runClient(kind as 'bare' | 'sdk', apiRoot!, Number(frames));
}
