/**
 * A real HAProxy (Debian's `haproxy` package) on a free loopback port, in front of gateway
 * processes: its config file in a temp dir, the WebSocket timeouts docs/operations.md tells
 * operators to set, readiness checks on each gateway's ops port, and an admin socket through which
 * a test reads whether HAProxy sees each gateway up or down.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUntil } from '@blockcast/devkit';
import { missing, redisServerOrSkip } from './test-dependencies.js';

/**
 * The `defaults` docs/operations.md gives operators, line for line (a test checks the doc has
 * each): the tunnel timeout governs an upgraded connection and must stay far above the gateway's
 * 60 s keep-alive ping; the others bound the HTTP upgrade and half-closed connections.
 */
export const HAPROXY_WEBSOCKET_DEFAULTS = [
  'mode http',
  'timeout connect 5s',
  'timeout client 30s',
  'timeout server 30s',
  'timeout http-request 10s',
  'timeout tunnel 3600s',
  'timeout client-fin 30s',
  'timeout server-fin 30s',
  'retries 3',
  'option redispatch 1',
] as const;

/** The backend lines of docs/operations.md that do not depend on the check interval or the servers. */
export const HAPROXY_GATEWAY_BACKEND = [
  'balance leastconn',
  'option forwardfor',
  'option httpchk GET /readyz',
  'http-check expect status 200',
] as const;

export interface HaproxyServer {
  name: string;
  port: number;
  /** Where HAProxy sends its readiness check (`check port`): the gateway's ops port. */
  opsPort: number;
}

export interface HaproxyOptions {
  servers: HaproxyServer[];
  /** The frontend port; default a free one. */
  port?: number;
  /** Readiness check interval; docs/operations.md uses 2 s in production. Default 200 ms. */
  checkIntervalMs?: number;
  /** Failed checks before a server is taken out. Default 2. */
  fall?: number;
  /** Passed checks before a server is put back. Default 1. */
  rise?: number;
}

export type ServerState = 'UP' | 'DOWN' | 'MAINT' | 'NOLB' | 'other';

export interface HaproxyProcess {
  /** The frontend port clients connect to. */
  port: number;
  /** The generated configuration, for a failing test's message. */
  config: string;
  /** How HAProxy sees each server now, by name. */
  serverStates(): Promise<Record<string, ServerState>>;
  /** Resolves when HAProxy reports `server` in `state`. */
  waitForState(server: string, state: ServerState, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** `{ skip }` unless redis-server and haproxy are installed: a real stack behind HAProxy. */
export function haproxyStackSkip(): { skip?: string } {
  const redis = redisServerOrSkip();
  if (redis.skip !== undefined || haproxyInstalled()) return redis;
  return missing('haproxy', 'apt-get install -y haproxy');
}

export function haproxyInstalled(): boolean {
  return spawnSync('haproxy', ['-v']).status === 0;
}

const BACKEND = 'gateways';

export async function startHaproxy(options: HaproxyOptions): Promise<HaproxyProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'blockcast-haproxy-'));
  const port = options.port ?? (await freePort());
  const socketPath = join(dir, 'admin.sock');
  const inter = options.checkIntervalMs ?? 200;
  const config = [
    'global',
    `  stats socket ${socketPath} mode 600 level admin`,
    '  maxconn 4096',
    '',
    'defaults',
    ...HAPROXY_WEBSOCKET_DEFAULTS.map((line) => `  ${line}`),
    '',
    'frontend streams',
    `  bind 127.0.0.1:${port}`,
    `  default_backend ${BACKEND}`,
    '',
    `backend ${BACKEND}`,
    ...HAPROXY_GATEWAY_BACKEND.map((line) => `  ${line}`),
    `  default-server inter ${inter}ms fall ${options.fall ?? 2} rise ${options.rise ?? 1}`,
    ...options.servers.map(
      (server) => `  server ${server.name} 127.0.0.1:${server.port} check port ${server.opsPort}`,
    ),
    '',
  ].join('\n');
  const configPath = join(dir, 'haproxy.cfg');
  writeFileSync(configPath, config);

  const check = spawnSync('haproxy', ['-c', '-q', '-f', configPath], { encoding: 'utf8' });
  if (check.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`haproxy refused its configuration:\n${check.stdout}${check.stderr}\n${config}`);
  }
  // -db: stay in the foreground, so the child is HAProxy itself and SIGTERM reaches it.
  const child = spawn('haproxy', ['-db', '-f', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.once('exit', () => child.kill('SIGKILL'));

  const serverStates = async () => parseStates(await adminCommand(socketPath, 'show stat'));
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}:\n${output}`);
      return (await serverStates().catch(() => undefined)) !== undefined;
    },
    10_000,
    'haproxy answering on its admin socket',
    50,
  );

  return {
    port,
    config,
    serverStates,
    async waitForState(server, state, timeoutMs = 10_000) {
      await waitUntil(
        async () => (await serverStates())[server] === state,
        timeoutMs,
        `haproxy seeing ${server} ${state}`,
        50,
      );
    },
    async stop() {
      await stopChild(child, exited);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await exited;
}

/** One command on HAProxy's admin socket; it answers and closes the connection. */
function adminCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.once('error', reject);
    socket.once('end', () => resolve(answer));
    socket.write(`${command}\n`);
  });
}

/** `show stat` is CSV with a `# pxname,svname,…,status,…` header; rows of our backend's servers. */
function parseStates(csv: string): Record<string, ServerState> {
  const [header, ...rows] = csv.trim().split('\n');
  if (!header?.startsWith('# ')) throw new Error(`unexpected answer to show stat: ${csv.slice(0, 200)}`);
  const columns = header.slice(2).split(',');
  const proxy = columns.indexOf('pxname');
  const name = columns.indexOf('svname');
  const status = columns.indexOf('status');
  const states: Record<string, ServerState> = {};
  for (const row of rows) {
    const cells = row.split(',');
    if (cells[proxy] !== BACKEND || cells[name] === 'BACKEND') continue;
    states[cells[name]!] = toState(cells[status] ?? '');
  }
  return states;
}

function toState(status: string): ServerState {
  // Transitions read "UP 1/2" or "DOWN 1/1" while the checks count towards rise or fall.
  const word = status.split(' ')[0];
  return word === 'UP' || word === 'DOWN' || word === 'MAINT' || word === 'NOLB' ? word : 'other';
}
