/**
 * A real single-validator CometBFT 0.38 node for the follower tests, in a temp home on loopback
 * ports with fast blocks, running test/ingest/follower/bigchain-abci (a Go ABCI app built here on
 * first use) that commits BigchainDB transaction JSON and rejects double spends with code 2.
 * The app is a process of its own, so the node can be killed and restarted against it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUntil } from '@blockcast/devkit';
import type { Transaction } from '@blockcast/protocol';
import { missing } from './test-dependencies.js';

const APP_SOURCE = 'test/ingest/follower/bigchain-abci';
const APP_BINARY = '.tmp/bigchain-abci';

function goBin(): string | undefined {
  const gopath = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' });
  return gopath.status === 0 ? join(gopath.stdout.trim(), 'bin') : undefined;
}

/** The cometbft binary: on PATH, or where `go install` puts it. */
export function cometbftBinary(): string | undefined {
  if (spawnSync('cometbft', ['version']).status === 0) return 'cometbft';
  const bin = goBin();
  return bin !== undefined && existsSync(join(bin, 'cometbft')) ? join(bin, 'cometbft') : undefined;
}

/** Why the node tests cannot run here, or false. CI (.ci/run) installs both, so there a gap fails instead. */
export function cometbftSkip(): string | false {
  if (cometbftBinary() === undefined)
    return missing('cometbft', 'go install github.com/cometbft/cometbft/cmd/cometbft@v0.38.26').skip;
  if (spawnSync('go', ['version']).status !== 0)
    return missing('go', 'needed to build the test ABCI app').skip;
  return false;
}

let built: string | undefined;

/** Builds the ABCI app once per test process (Go's build cache makes a rebuild a second or two). */
function abciAppBinary(): string {
  if (built !== undefined) return built;
  mkdirSync('.tmp', { recursive: true });
  const build = spawnSync('go', ['build', '-o', join(process.cwd(), APP_BINARY), '.'], {
    cwd: APP_SOURCE,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`cannot build the test ABCI app: ${build.stderr}`);
  built = APP_BINARY;
  return built;
}

function watch(child: ChildProcess): () => string {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  process.once('exit', () => child.kill('SIGKILL'));
  return () => output;
}

export interface CometNode {
  rpcUrl: string;
  /** Starts the node process (again, on the same home and data, after kill()). */
  start(): Promise<void>;
  /** SIGKILL: no chance to save anything it had not saved. */
  kill(): Promise<void>;
  latestHeight(): Promise<number>;
  /** broadcast_tx_sync: in the mempool when this resolves (CheckTx passed). */
  broadcast(tx: Transaction): Promise<void>;
  /** Waits until the transaction is in a committed block; resolves with its height. */
  committedHeight(tx: Transaction, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

export async function startCometNode(): Promise<CometNode> {
  const binary = cometbftBinary();
  if (binary === undefined) throw new Error('cometbft is not installed');
  const home = mkdtempSync(join(tmpdir(), 'blockcast-cometbft-'));
  const init = spawnSync(binary, ['init', '--home', home], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`cometbft init failed: ${init.stderr}`);
  const configFile = join(home, 'config', 'config.toml');
  // Fast blocks: a few per second, empty ones too, so heights move on while the tests watch.
  writeFileSync(
    configFile,
    readFileSync(configFile, 'utf8').replace(/^timeout_commit = .*$/m, 'timeout_commit = "150ms"'),
  );
  const [appPort, rpcPort, p2pPort] = [await freePort(), await freePort(), await freePort()];
  const appAddress = `tcp://127.0.0.1:${appPort}`;
  const rpcUrl = `http://127.0.0.1:${rpcPort}`;

  const app = spawn(abciAppBinary(), ['-address', appAddress], { stdio: ['ignore', 'pipe', 'pipe'] });
  const appOutput = watch(app);
  await waitUntil(() => appOutput().includes('listening'), 10_000, 'ABCI app listening', 50);

  let node: ChildProcess | undefined;
  let nodeOutput = () => '';
  const rpc = async (method: string, params: Record<string, unknown>) => {
    const response = await fetch(rpcUrl, {
      method: 'POST',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const body = (await response.json()) as { result?: Record<string, unknown>; error?: unknown };
    if (body.error !== undefined) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
    return body.result!;
  };
  const latestHeight = async () => {
    const status = (await rpc('status', {})) as { sync_info: { latest_block_height: string } };
    return Number(status.sync_info.latest_block_height);
  };
  const exited = (child: ChildProcess) =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const handle: CometNode = {
    rpcUrl,
    async start() {
      node = spawn(
        binary,
        [
          'node',
          '--home',
          home,
          '--proxy_app',
          appAddress,
          '--rpc.laddr',
          `tcp://127.0.0.1:${rpcPort}`,
          '--p2p.laddr',
          `tcp://127.0.0.1:${p2pPort}`,
          '--log_level',
          'error',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      nodeOutput = watch(node);
      const started = node;
      await waitUntil(
        async () => {
          if (started.exitCode !== null)
            throw new Error(`cometbft exited with ${started.exitCode}:\n${nodeOutput()}`);
          return (await latestHeight().catch(() => 0)) >= 1;
        },
        30_000,
        'cometbft producing blocks',
        100,
      );
    },
    async kill() {
      if (node === undefined) return;
      node.kill('SIGKILL');
      await exited(node);
    },
    latestHeight,
    async broadcast(tx) {
      const result = (await rpc('broadcast_tx_sync', {
        tx: Buffer.from(JSON.stringify(tx)).toString('base64'),
      })) as {
        code: number;
        log: string;
      };
      if (result.code !== 0) throw new Error(`CheckTx refused ${tx.id}: ${result.log}`);
    },
    async committedHeight(tx, timeoutMs = 15_000) {
      let height = 0;
      await waitUntil(
        async () => {
          const found = await rpc('tx', { hash: txHash(JSON.stringify(tx)), prove: false }).catch(
            () => undefined,
          );
          height = Number(found?.height ?? 0);
          return height > 0;
        },
        timeoutMs,
        `transaction ${tx.id} committed`,
        100,
      );
      return height;
    },
    async stop() {
      if (node !== undefined) {
        node.kill('SIGTERM');
        await exited(node);
      }
      app.kill('SIGTERM');
      await exited(app);
      rmSync(home, { recursive: true, force: true });
    },
  };
  await handle.start();
  return handle;
}

/** The /tx endpoint's key: SHA-256 of the transaction's bytes, base64 in a JSON-RPC body. */
function txHash(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}
