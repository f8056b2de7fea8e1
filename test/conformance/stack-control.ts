/**
 * The stack controller of the client conformance suite (README.md beside it): real Redis, ingest,
 * gateways behind HAProxy and discovery, each its own process, driven by JSON lines on stdin and
 * answered on stdout, so the TypeScript and Python runners break the same stack the same way.
 * It keeps a copy of every entry it saw on the bus, per history, so `log` can name every frame a
 * client was owed even after retention trimmed it or a rollback replaced it.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  freePort,
  makeBlock,
  type RedisServerProcess,
  type ServiceProcess,
  startRedisServer,
  uniquePrefix,
  waitUntil,
} from '@blockcast/devkit';
import {
  type BlockEvent,
  blockEntry,
  type CommittedBlock,
  entryFramesFor,
  entryPosition,
  eventEntry,
  type FrameProfile,
  formatPosition,
  type GenericEvent,
  type LogEntry,
  parseStreamRequest,
  STREAMS_PATH,
} from '@blockcast/protocol';
import { Redis } from 'ioredis';
import { BlockFeed } from '../support/block-feed.js';
import { alive, killAndWait } from '../support/chaos-topology.js';
import { type HaproxyProcess, startHaproxy } from '../support/haproxy.js';
import { type ServiceStack, type StackGateway, startServiceStack } from '../support/service-stack.js';

/** A service process starting on a loaded machine (tsx compiling it) may take this long to be ready. */
const READY_TIMEOUT_MS = 120_000;

interface History {
  epoch: string | null;
  /** By entry ID, in bus order (IDs only grow within one history). */
  entries: Map<string, LogEntry>;
}

type Command = { id?: unknown; cmd?: string } & Record<string, unknown>;

class StackController {
  readonly prefix = uniquePrefix('conformance');
  readonly token = crypto.randomUUID().replaceAll('-', '');
  readonly redisDir = mkdtempSync(join(tmpdir(), 'blockcast-conformance-redis-'));
  redisPort = 0;
  redis: RedisServerProcess | undefined;
  admin: Redis | undefined;
  ingest: { url: string; opsUrl: string; process: ServiceProcess } | undefined;
  discovery: { url: string; process: ServiceProcess } | undefined;
  haproxy: HaproxyProcess | undefined;
  stack: ServiceStack | undefined;
  readonly gateways: StackGateway[] = [];
  env: Record<string, string> = {};
  profile: FrameProfile = 'bigchaindb';
  nextHeight = 1;
  /** Past histories (recorded before a rollback or flush replaced them), then the current one. */
  readonly histories: History[] = [{ epoch: null, entries: new Map() }];
  lastId = '0-0';
  snapshot: { file: string; entries: Map<string, LogEntry>; lastId: string } | undefined;

  get current(): History {
    return this.histories.at(-1)!;
  }

  async start(args: Command): Promise<Record<string, unknown>> {
    if (this.redis !== undefined) throw new Error('start: the stack is already started');
    this.env = Object.fromEntries(
      Object.entries((args.env ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    );
    this.profile = args.profile === 'planetmint' ? 'planetmint' : 'bigchaindb';
    this.redisPort = await freePort();
    await this.#startRedis();
    const haproxyPort = await freePort();
    const stack = await startServiceStack({
      redisUrl: `redis://127.0.0.1:${this.redisPort}`,
      label: 'conformance',
      prefix: this.prefix,
      token: this.token,
      gateways: Number(args.gateways ?? 2),
      profile: this.profile,
      env: this.env,
      gatewayEnv: { GATEWAY_DRAIN_DELAY_MS: '0' },
      advertisedStreamsPort: haproxyPort,
      readyTimeoutMs: READY_TIMEOUT_MS,
    });
    this.stack = stack;
    this.ingest = stack.ingest;
    this.discovery = stack.discovery;
    this.gateways.push(...stack.gateways);
    // Checks tolerant of a loaded machine: a gateway slow to answer /readyz is not taken out.
    this.haproxy = await startHaproxy({
      port: haproxyPort,
      servers: this.gateways,
      checkIntervalMs: 1000,
      fall: 3,
    });
    for (const gateway of this.gateways) await this.haproxy.waitForState(gateway.name, 'UP', 30_000);
    return {
      apiRoot: `${stack.discovery.url}/api/v1/`,
      discoveryUrl: stack.discovery.url,
      ingestUrl: stack.ingest.url,
      ingestToken: this.token,
      streamsUrl: `ws://127.0.0.1:${this.haproxy.port}${STREAMS_PATH}valid_transactions`,
      gatewayUrls: this.gateways.map((gateway) => `ws://127.0.0.1:${gateway.port}`),
    };
  }

  async #startRedis(): Promise<void> {
    this.redis = await startRedisServer({ port: this.redisPort, dir: this.redisDir });
    this.admin?.disconnect();
    this.admin = new Redis(this.redis.url, { maxRetriesPerRequest: 1 });
  }

  #gateway(args: Command): StackGateway {
    const gateway = this.gateways[Number(args.index)];
    if (gateway === undefined)
      throw new Error(`no gateway ${String(args.index)} (there are ${this.gateways.length})`);
    return gateway;
  }

  async postBlocks(args: Command): Promise<Record<string, unknown>> {
    const n = Number(args.n ?? 1);
    const transactions = args.transactions === undefined ? undefined : Number(args.transactions);
    const heights: number[] = [];
    for (let i = 0; i < n; i += 1) {
      const height = this.nextHeight;
      const block: CommittedBlock =
        transactions === undefined
          ? BlockFeed.blockAt(height)
          : makeBlock(height, transactions, { rejected: 1 });
      const response = await fetch(`${this.ingest!.url}/api/v1/blocks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify(block),
      });
      if (response.status !== 201)
        throw new Error(`block ${height}: ingest answered ${response.status} ${await response.text()}`);
      this.nextHeight += 1;
      heights.push(height);
      await this.#readNewEntries();
    }
    return { heights, head: this.nextHeight - 1 };
  }

  async emit(args: Command): Promise<Record<string, unknown>> {
    const response = await fetch(`${this.ingest!.url}/api/v1/events/${String(args.type)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ content: args.content }),
    });
    const answer = (await response.json()) as Record<string, unknown>;
    if (response.status !== 201)
      throw new Error(
        `emit ${String(args.type)}: ingest answered ${response.status} ${JSON.stringify(answer)}`,
      );
    await this.#readNewEntries();
    return { position: answer.position };
  }

  /** Copies the entries appended since the last read into the current history. */
  async #readNewEntries(): Promise<void> {
    const entries = await this.admin!.xrange(`${this.prefix}blocks`, `(${this.lastId}`, '+');
    for (const [id, fields] of entries) {
      const field = (name: string) => {
        const index = fields.indexOf(name);
        return index === -1 ? undefined : fields[index + 1];
      };
      const event = field('event');
      const block = field('block');
      if (event !== undefined) this.current.entries.set(id, eventEntry(JSON.parse(event) as GenericEvent));
      else if (block !== undefined) this.current.entries.set(id, blockEntry(JSON.parse(block) as BlockEvent));
      else continue;
      this.lastId = id;
    }
  }

  async killGateway(args: Command): Promise<Record<string, unknown>> {
    const gateway = this.#gateway(args);
    await killAndWait(gateway.process.child.pid!);
    await this.haproxy!.waitForState(gateway.name, 'DOWN', 30_000);
    return {};
  }

  async stopGateway(args: Command): Promise<Record<string, unknown>> {
    const gateway = this.#gateway(args);
    const exitCode = await gateway.process.stop(30_000);
    await this.haproxy!.waitForState(gateway.name, 'DOWN', 30_000);
    return { exitCode };
  }

  async restartGateway(args: Command): Promise<Record<string, unknown>> {
    const gateway = this.#gateway(args);
    if (alive(gateway.process.child.pid!)) throw new Error(`${gateway.name} is still running`);
    await this.stack!.startGateway(this.gateways.indexOf(gateway));
    await this.haproxy!.waitForState(gateway.name, 'UP', 30_000);
    return {};
  }

  async snapshotRedis(): Promise<Record<string, unknown>> {
    await this.admin!.save();
    const file = join(this.redisDir, 'snapshot.rdb.keep');
    copyFileSync(join(this.redisDir, 'dump.rdb'), file);
    this.snapshot = { file, entries: new Map(this.current.entries), lastId: this.lastId };
    return { head: this.nextHeight - 1 };
  }

  async restoreRedis(): Promise<Record<string, unknown>> {
    const snapshot = this.snapshot;
    if (snapshot === undefined) throw new Error('restoreRedis: no snapshotRedis before');
    const before = await this.#epoch();
    await this.#replaceRedis(() => copyFileSync(snapshot.file, join(this.redisDir, 'dump.rdb')));
    this.histories.push({ epoch: null, entries: new Map(snapshot.entries) });
    this.lastId = snapshot.lastId;
    const blocks = [...snapshot.entries.values()].filter((entry) => entry.kind === 'block');
    this.nextHeight = (blocks.at(-1)?.height ?? 0) + 1;
    // The gateways' tails notice the rollback and start the new epoch.
    let epoch: string | null = null;
    await waitUntil(
      async () => {
        epoch = await this.#epoch();
        return epoch !== null && epoch !== before;
      },
      30_000,
      'a new epoch after the rollback',
      50,
    );
    return { epoch };
  }

  async flushRedis(): Promise<Record<string, unknown>> {
    await this.#replaceRedis(() => {
      for (const file of readdirSync(this.redisDir))
        if (!file.endsWith('.keep')) rmSync(join(this.redisDir, file), { recursive: true, force: true });
    });
    this.histories.push({ epoch: null, entries: new Map() });
    this.lastId = '0-0';
    return {};
  }

  /** Kills Redis (-9), lets `change` alter its dir, starts it again: ingest and the gateways reconnect by themselves. */
  async #replaceRedis(change: () => void): Promise<void> {
    this.current.epoch = await this.#epoch();
    this.admin?.disconnect();
    this.admin = undefined;
    await killAndWait(this.redis!.pid);
    change();
    await this.#startRedis();
  }

  /** Waits until discovery's catalog (cached up to a second) names the current epoch and head. */
  async awaitCatalog(): Promise<Record<string, unknown>> {
    await this.#readNewEntries();
    const epoch = await this.#epoch();
    const blocks = [...this.current.entries.values()].filter((entry) => entry.kind === 'block');
    const head = blocks.at(-1)?.height ?? null;
    await waitUntil(
      async () => {
        const catalog = (await (await fetch(`${this.discovery!.url}/api/v1/streams`)).json()) as Record<
          string,
          unknown
        >;
        return catalog.epoch === epoch && catalog.head_height === head;
      },
      10_000,
      `the catalog naming epoch ${epoch} and head ${head}`,
      100,
    );
    return { epoch, head };
  }

  restartChain(args: Command): Record<string, unknown> {
    this.nextHeight = Number(args.firstHeight ?? 1);
    return {};
  }

  async #epoch(): Promise<string | null> {
    return this.admin!.get(`${this.prefix}epoch`);
  }

  async epoch(): Promise<Record<string, unknown>> {
    return { epoch: await this.#epoch() };
  }

  async log(args: Command): Promise<Record<string, unknown>> {
    await this.#readNewEntries();
    this.current.epoch = await this.#epoch();
    const stream = String(args.stream);
    const request = parseStreamRequest(`${STREAMS_PATH}${stream}`, String(args.query ?? ''), this.profile);
    return {
      histories: this.histories.map((history) => {
        const frames: string[] = [];
        const positions: string[] = [];
        for (const entry of history.entries.values()) {
          for (const frame of entryFramesFor(request, entry)) {
            frames.push(frame);
            positions.push(formatPosition(entryPosition(entry)));
          }
        }
        return { epoch: history.epoch, frames, positions };
      }),
    };
  }

  async stop(): Promise<Record<string, unknown>> {
    const services = [
      this.ingest?.process,
      this.discovery?.process,
      ...this.gateways.map((gateway) => gateway.process),
    ];
    await Promise.all(services.map((service) => service?.stop(5000)));
    await this.haproxy?.stop();
    this.admin?.disconnect();
    if (this.redis !== undefined && alive(this.redis.pid)) await this.redis.stop();
    if (existsSync(this.redisDir)) rmSync(this.redisDir, { recursive: true, force: true });
    return {};
  }
}

const controller = new StackController();
const handlers: Record<
  string,
  (args: Command) => Promise<Record<string, unknown>> | Record<string, unknown>
> = {
  start: (args) => controller.start(args),
  postBlocks: (args) => controller.postBlocks(args),
  emit: (args) => controller.emit(args),
  killGateway: (args) => controller.killGateway(args),
  stopGateway: (args) => controller.stopGateway(args),
  restartGateway: (args) => controller.restartGateway(args),
  snapshotRedis: () => controller.snapshotRedis(),
  restoreRedis: () => controller.restoreRedis(),
  flushRedis: () => controller.flushRedis(),
  restartChain: (args) => controller.restartChain(args),
  epoch: () => controller.epoch(),
  awaitCatalog: () => controller.awaitCatalog(),
  log: (args) => controller.log(args),
  stop: () => controller.stop(),
};

function answer(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

let stopped = false;
async function shutdown(): Promise<void> {
  if (stopped) return;
  stopped = true;
  try {
    await controller.stop();
  } catch (error) {
    process.stderr.write(`stack-control: stop failed: ${(error as Error).stack}\n`);
    process.exitCode = 1;
  }
}

process.once('SIGTERM', () => void shutdown().then(() => process.exit()));

for await (const line of createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
  if (line.trim() === '') continue;
  let command: Command;
  try {
    command = JSON.parse(line) as Command;
  } catch {
    answer({ id: null, ok: false, error: `not a JSON object: ${line.slice(0, 200)}` });
    continue;
  }
  const handler = handlers[command.cmd ?? ''];
  if (handler === undefined) {
    answer({
      id: command.id ?? null,
      ok: false,
      error: `unknown cmd ${String(command.cmd)}; one of ${Object.keys(handlers).join(', ')}`,
    });
    continue;
  }
  try {
    const result = await handler(command);
    if (command.cmd === 'stop') stopped = true;
    answer({ id: command.id ?? null, ok: true, ...result });
    if (command.cmd === 'stop') break;
  } catch (error) {
    process.stderr.write(`stack-control: ${command.cmd} failed: ${(error as Error).stack}\n`);
    answer({ id: command.id ?? null, ok: false, error: (error as Error).message });
  }
}
await shutdown();
