/**
 * A RabbitMQ node of its own (Debian's `rabbitmq-server` package, run as the calling user) on free
 * loopback ports in a temp dir: for the amqp plugin's tests. Starts in about 5 s.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killOnExit } from './kill-on-exit.js';
import { freePort } from './redis-server.js';
import { waitUntil } from './wait-until.js';

/** The server script itself: /usr/sbin/rabbitmq-server would switch to the rabbitmq user and its data dir. */
export const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const RABBITMQCTL = '/usr/lib/rabbitmq/bin/rabbitmqctl';

export interface RabbitMqServerProcess {
  /** `amqp://guest:guest@127.0.0.1:<port>` (guest may log in from loopback). */
  url: string;
  port: number;
  /** Runs `rabbitmqctl <args>` against this node (e.g. to raise a memory alarm); resolves with its output. */
  ctl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export function rabbitMqInstalled(): boolean {
  return existsSync(RABBITMQ_SERVER);
}

export async function startRabbitMqServer(): Promise<RabbitMqServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'blockcast-rabbitmq-'));
  const port = await freePort();
  const distPort = await freePort();
  const nodeName = `blockcast${port}@localhost`;
  writeFileSync(join(dir, 'enabled_plugins'), '[].');
  const child = spawn(RABBITMQ_SERVER, [], {
    cwd: dir,
    // Its own process group, so stop() ends the script and the Erlang VM it starts together.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      HOME: dir,
      RABBITMQ_NODENAME: nodeName,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_PLUGINS_EXPAND_DIR: join(dir, 'plugins-expand'),
      RABBITMQ_LOGS: '-',
      ERL_EPMD_ADDRESS: '127.0.0.1',
    },
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  // The whole group: the broker's Erlang processes outlive the launcher script.
  killOnExit(() => killGroup('SIGKILL'));
  try {
    await waitUntil(
      () => {
        if (child.exitCode !== null)
          throw new Error(`rabbitmq-server exited with ${child.exitCode}:\n${output}`);
        return output.includes('Server startup complete');
      },
      60_000,
      `rabbitmq-server on port ${port} starting`,
      100,
    );
  } catch (error) {
    killGroup('SIGKILL');
    throw error;
  }
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    ctl: (...args) =>
      new Promise((resolve, reject) => {
        // HOME holds the Erlang cookie the node wrote, which rabbitmqctl needs to talk to it.
        execFile(
          RABBITMQCTL,
          ['-n', nodeName, ...args],
          { env: { ...process.env, HOME: dir } },
          (error, stdout, stderr) =>
            error
              ? reject(new Error(`rabbitmqctl ${args.join(' ')}: ${stderr || error.message}`))
              : resolve(stdout),
        );
      }),
    stop: async () => {
      killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
