/**
 * A gateway app on free ports, on either event log — the in-process MemoryLog or a RedisStreamLog
 * on the test Redis (its own key prefix) — built from a config and closed through the test context.
 * Behaviour suites run once per log kind with `forEachLog`.
 */
import { after, describe, type TestContext } from 'node:test';
import { type EventLog, MemoryLog, RedisStreamLog } from '@blockcast/event-log';
import {
  buildGatewayApp,
  type GatewayApp,
  type GatewayAppOptions,
  type GatewayConfig,
  loadGatewayConfig,
} from '@blockcast/gateway';
import {
  type CommittedBlock,
  type EmittedEventTypeName,
  type GenericEvent,
  normaliseBlock,
} from '@blockcast/protocol';
import { Redis } from 'ioredis';
import { redisOrSkip, uniquePrefix } from './redis.js';

export type LogKind = 'memory' | 'redis';

const available = await redisOrSkip();
// A redis-server started for this file keeps the test process alive until it is stopped.
after(() => ('redis' in available ? available.redis.stop() : undefined));

/** Why Redis suites skip, or false (REQUIRE_REDIS=1 fails instead of skipping). */
export const redisSkip: string | false = 'skip' in available ? available.skip : false;

/** Runs `suite` once on each event log; the Redis run skips (or fails, with REQUIRE_REDIS=1) without Redis. */
export function forEachLog(name: string, suite: (kind: LogKind) => void): void {
  for (const kind of ['memory', 'redis'] as const) {
    const skip = kind === 'redis' && 'skip' in available ? available.skip : false;
    describe(`${name} (${kind} log)`, { skip }, () => suite(kind));
  }
}

export interface GatewayHarness {
  app: GatewayApp;
  log: EventLog;
  kind: LogKind;
  url: string;
  opsUrl: string;
  /** `<url>/api/v1/streams/<path>` */
  stream(path: string): string;
  /** `stream(path)` plus `epoch=<the gateway's current epoch>`: how a client sends `since` (with its epoch). */
  resume(path: string): string;
  /** Appends committed blocks to the event log, in order. */
  commit(...blocks: CommittedBlock[]): Promise<void>;
  /** Emits a generic event on the event log (what ingest's POST does); resolves with its place. */
  emit(type: EmittedEventTypeName, content: unknown): Promise<GenericEvent>;
  /** For Redis: a client of its own on the same server (null on the memory log). */
  admin: Redis | null;
  /** The stream key on Redis. */
  key: string;
}

export interface HarnessOptions extends Partial<Pick<GatewayAppOptions, 'legacyIdleTimeoutMs'>> {
  log?: LogKind;
  config?: Partial<GatewayConfig>;
  /** An event log to use instead of a new one (the caller closes it). */
  eventLog?: EventLog;
  /** Retention of the new log (exact on both kinds, so tests know the oldest height). */
  retainBlocks?: number;
  /** Redis: how long one XREAD blocks, which bounds how fast a reset is noticed (default 5000). */
  blockMs?: number;
  /** Puts something between the gateway and the log (e.g. a delay); commits still go to the log itself. */
  wrapLog?: (log: EventLog) => EventLog;
}

export async function startGateway(t: TestContext, options: HarnessOptions = {}): Promise<GatewayHarness> {
  const kind = options.log ?? 'memory';
  const config = {
    ...loadGatewayConfig({}),
    host: '127.0.0.1',
    port: 0,
    opsPort: 0,
    drainDelayMs: 0,
    ...(options.retainBlocks ? { retainBlocks: options.retainBlocks } : {}),
    ...options.config,
  };
  const prefix = uniquePrefix('gateway');
  let admin: Redis | null = null;
  let log: EventLog;
  if (options.eventLog) log = options.eventLog;
  else if (kind === 'memory') log = new MemoryLog({ retainBlocks: options.retainBlocks });
  else {
    if (!('redis' in available)) throw new Error(`no Redis: ${available.skip}`);
    admin = new Redis(available.redis.url);
    log = new RedisStreamLog({
      redis: new Redis(available.redis.url),
      ownsClient: true,
      prefix,
      retainBlocks: options.retainBlocks,
      trim: 'exact',
      ...(options.blockMs ? { blockMs: options.blockMs } : {}),
    });
  }
  const app = buildGatewayApp({
    config,
    log: options.wrapLog ? options.wrapLog(log) : log,
    legacyIdleTimeoutMs: options.legacyIdleTimeoutMs,
  });
  const { port, opsPort } = await app.start();
  t.after(async () => {
    await app.close();
    if (!options.eventLog) await log.close();
    await admin?.quit();
  });
  const url = `ws://127.0.0.1:${port}`;
  return {
    app,
    log,
    kind,
    url,
    opsUrl: `http://127.0.0.1:${opsPort}`,
    stream: (path) => `${url}/api/v1/streams/${path}`,
    resume: (path) => `${url}/api/v1/streams/${path}${path.includes('?') ? '&' : '?'}epoch=${app.epoch}`,
    async commit(...blocks) {
      for (const block of blocks) await log.append(normaliseBlock(block));
    },
    async emit(type, content) {
      return (await log.emit({ type, content, emittedAt: Date.now() })).event;
    },
    admin,
    key: `${prefix}blocks`,
  };
}
