/**
 * Planetmint 2.5.3's own WebSocket server as a bench peer: bench/servers/peers/planetmint_shim.py runs
 * planetmint.web.websocket_server as the node does, in its own process behind the node's
 * Exchange, and turns each block written to its stdin into the Event the node's core queues.
 * The venv comes from `bash bench/servers/peers/install-planetmint.sh`.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface PlanetmintServer {
  /** The planetmint_ws process: the one that holds the sockets and sends every frame. */
  pid: number;
  /** Its valid_transactions stream. */
  url: string;
  /** Resolves once the block's Event is on the node's event queue (not when it is sent). */
  publishBlock(height: number, transactions: object[]): Promise<void>;
  stop(): Promise<void>;
}

type ShimMessage =
  | { event: 'listening'; pid: number; url: string }
  | { event: 'published'; height: number }
  | { event: 'rejected'; line: number; error: string };

const PEERS_DIR = fileURLToPath(new URL('./', import.meta.url));
const PYTHON = fileURLToPath(new URL('../../.venv-planetmint/bin/python', import.meta.url));
const SHIM = `${PEERS_DIR}planetmint_shim.py`;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export async function startPlanetmintServer({
  port,
  pin,
}: {
  port: number;
  pin: string[];
}): Promise<PlanetmintServer> {
  if (!existsSync(PYTHON))
    throw new Error(`${PYTHON} is missing: run \`bash bench/servers/peers/install-planetmint.sh\` first`);
  const argv = [...pin, PYTHON, SHIM, '--host', '127.0.0.1', '--port', String(port)];
  // Its own process group: the shim's children (server, Exchange) go down with it.
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  const killGroup = () => signalGroup(child, 'SIGKILL');
  // A crash of this process must not leave the server behind.
  process.once('exit', killGroup);

  const pending: { height: number; settle: (error?: Error) => void }[] = [];
  let exited: Error | undefined;
  let onListening: ((message: { pid: number; url: string }) => void) | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = parseMessage(line);
    if (message === undefined) return;
    if (message.event === 'listening') onListening?.(message);
    else if (message.event === 'published') {
      const waiter = pending.shift();
      waiter?.settle(
        waiter.height === message.height
          ? undefined
          : new Error(`planetmint shim published ${message.height}, expected ${waiter.height}`),
      );
    } else pending.shift()?.settle(new Error(`planetmint shim rejected a block: ${message.error}`));
  });
  // A write after the shim died fails with EPIPE; the exit handler below rejects what is pending.
  child.stdin!.on('error', () => {});
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = new Error(`planetmint shim exited (${signal ?? code})`);
      for (const waiter of pending.splice(0)) waiter.settle(exited);
      resolve();
    }),
  );

  const listening = await new Promise<{ pid: number; url: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup();
      reject(new Error(`planetmint shim did not listen on port ${port} within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    onListening = (message) => {
      clearTimeout(timer);
      resolve(message);
    };
    void exit.then(() => {
      clearTimeout(timer);
      reject(exited);
    });
  });

  return {
    pid: listening.pid,
    url: listening.url,
    publishBlock(height, transactions) {
      if (exited !== undefined) return Promise.reject(exited);
      return new Promise<void>((resolve, reject) => {
        pending.push({ height, settle: (error) => (error ? reject(error) : resolve()) });
        child.stdin!.write(`${JSON.stringify({ height, transactions })}\n`);
      });
    },
    async stop() {
      if (exited === undefined) {
        // End of stdin: the shim poisons the Exchange and SIGTERMs the server, as a node shutdown would.
        child.stdin!.end();
        const timer = setTimeout(killGroup, STOP_TIMEOUT_MS);
        await exit;
        clearTimeout(timer);
      }
      killGroup(); // anything of the group still alive after the shim itself is gone
      process.removeListener('exit', killGroup);
    },
  };
}

function parseMessage(line: string): ShimMessage | undefined {
  try {
    return JSON.parse(line) as ShimMessage;
  } catch {
    return undefined; // not the shim's: a banner a library printed
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // the group is already gone
  }
}
