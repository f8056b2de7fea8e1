/** Builds a plugin host on the test Redis, with its own stream prefix and record folder per test. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { createMetricsRegistry } from '@blockcast/common';
import { RedisConsumerGroup, RedisStreamLog } from '@blockcast/event-log';
import { buildPluginsApp, loadPluginsConfig, type PluginsApp } from '@blockcast/plugins';
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import {
  type RecordedEvent,
  type RecordedSignal,
  recordedEvents,
  recordedSignals,
} from '../support/plugin-records.js';
import { redisOrSkip, uniquePrefix } from '../support/redis.js';

const available = await redisOrSkip();
after(() => ('redis' in available ? available.redis.stop() : undefined));

export const redisSkip: string | false = 'skip' in available ? available.skip : false;

/** Where the fixture plugins record what they receive (runners inherit this process's environment). */
const recordDir = mkdtempSync(join(tmpdir(), 'blockcast-plugins-'));
process.env.PLUGIN_RECORD_DIR = recordDir;

export const FIXTURES = 'test/plugins/fixtures';

export type Received = RecordedEvent;

export interface HostUnderTest {
  app: PluginsApp;
  /** Appends to the bus the host reads. */
  log: RedisStreamLog;
  redis: Redis;
  prefix: string;
  registry: Registry;
  redisUrl: string;
  /** What the fixture plugin `name` recorded, in order (names are unique per test file, so per test). */
  received(name: string): Received[];
  /** The gap and reset signals the fixture plugin `name` (signal-recorder.mjs) was given, in order. */
  signals(name: string): RecordedSignal[];
  /** Pending (delivered, unacknowledged) entries of plugin `name`'s group. */
  pending(name: string): Promise<number>;
  /** A counter or gauge's value for one plugin. */
  metric(name: string, plugin: string): Promise<number>;
}

/** `env` is the host's environment past the defaults (REDIS_URL, prefix, PLUGINS_START=first, fast restarts). */
export async function startHost(
  t: { after(fn: () => Promise<unknown>): void },
  env: Record<string, string>,
): Promise<HostUnderTest> {
  if (!('redis' in available)) throw new Error(`no Redis: ${redisSkip}`);
  const redisUrl = available.redis.url;
  const prefix = uniquePrefix('plugins');
  const config = loadPluginsConfig({
    REDIS_URL: redisUrl,
    BLOCKCAST_STREAM_PREFIX: prefix,
    PLUGINS_START: 'first',
    PLUGINS_HOST: '127.0.0.1',
    PLUGINS_OPS_PORT: '0',
    PLUGINS_RESTART_MIN_MS: '50',
    PLUGINS_RESTART_MAX_MS: '400',
    PLUGINS_SHUTDOWN_GRACE_MS: '5000',
    LOG_LEVEL: process.env.TEST_PLUGINS_LOG ?? 'warn',
    ...env,
  });
  const registry = createMetricsRegistry('plugins', { defaultMetrics: false });
  const app = buildPluginsApp({ config, redis: { kind: 'url', url: redisUrl }, registry });
  const redis = new Redis(redisUrl);
  const log = new RedisStreamLog({ redis, prefix });
  t.after(async () => {
    await app.close();
    await log.close();
    await redis.quit();
  });
  return {
    app,
    log,
    redis,
    prefix,
    registry,
    redisUrl,
    received: (name) => recordedEvents(recordDir, name),
    signals: (name) => recordedSignals(recordDir, name),
    pending: (name) =>
      new RedisConsumerGroup({ redis, prefix, group: `plugin:${name}`, consumer: name }).pendingCount(),
    metric: async (name, plugin) => {
      const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
      return values.find((value) => value.labels.plugin === plugin)?.value ?? 0;
    },
  };
}
