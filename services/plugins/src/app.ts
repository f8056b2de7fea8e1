import {
  createMetricsRegistry,
  type Logger,
  OpsServer,
  type RedisTarget,
  silentLogger,
} from '@blockcast/common';
import { createRedisClient } from '@blockcast/event-log';
import type { Registry } from 'prom-client';
import type { PluginsConfig } from './config.js';
import { PluginsMetrics } from './metrics.js';
import { PluginProcess } from './plugin-process.js';
import { deadLetterKey } from './runner/dead-letter-stream.js';

export interface PluginsAppOptions {
  config: PluginsConfig;
  /** The bus the plugins read; main.ts requires it, so here it is not optional. */
  redis: RedisTarget;
  /** Default: silent (tests). main.ts passes the process logger. */
  logger?: Logger;
  /** Default: a fresh `blockcast_plugins` registry with default process metrics. */
  registry?: Registry;
}

export interface PluginsApp {
  /** One supervisor per configured plugin, in PLUGINS order. */
  readonly plugins: readonly PluginProcess[];
  /**
   * Starts every plugin process, then the ops port. Rejects (and stops what started) when a
   * module is not a plugin. Resolves with the ops port bound.
   */
  start(): Promise<{ opsPort: number }>;
  /** Stops every plugin (each finishes the event in hand), then the ops port; `/readyz` fails from the call on. */
  close(): Promise<void>;
}

export function buildPluginsApp(options: PluginsAppOptions): PluginsApp {
  const { config } = options;
  const logger = options.logger ?? silentLogger();
  const registry = options.registry ?? createMetricsRegistry('plugins');
  const names = config.plugins.map((spec) => spec.name);
  // Only for the dead-letter gauge: the plugins read the bus on connections of their own processes.
  const redis = createRedisClient(options.redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', (error) => logger.debug({ err: error }, 'redis connection error (dead-letter gauge)'));
  const metrics = new PluginsMetrics(registry, names, (plugin) =>
    redis.xlen(deadLetterKey(config.streamPrefix, plugin)),
  );
  const plugins = config.plugins.map(
    (spec) =>
      new PluginProcess({
        spec,
        redis: options.redis,
        streamPrefix: config.streamPrefix,
        start: config.start,
        restartMinMs: config.restartMinMs,
        restartMaxMs: config.restartMaxMs,
        logLevel: config.logLevel,
        metrics,
        logger,
      }),
  );
  let closing = false;

  // Ready while every plugin process is up and reading; a plugin waiting to restart is named.
  const ops = new OpsServer(registry, {
    ready: async () => {
      if (closing) return { ready: false, reason: 'draining' };
      const down = plugins.filter((plugin) => plugin.state !== 'running');
      if (down.length === 0) return { ready: true };
      const reason = down
        .map((plugin) => `${plugin.name}: ${plugin.state}${plugin.problem ? ` (${plugin.problem})` : ''}`)
        .join('; ');
      return { ready: false, reason };
    },
  });

  const stopAll = () => Promise.all(plugins.map((plugin) => plugin.stop(config.shutdownGraceMs)));
  let closed: Promise<void> | undefined;
  return {
    plugins,
    async start() {
      try {
        await Promise.all(plugins.map((plugin) => plugin.start()));
        // Closed while the plugins were starting: listening now would outlive close().
        if (closing) throw new Error('the plugin host was closed while starting');
        return { opsPort: await ops.listen(config.host, config.opsPort) };
      } catch (error) {
        // Not half started: the plugins that did start would run with nobody watching their probes.
        await stopAll();
        throw error;
      }
    },
    close() {
      closing = true;
      closed ??= (async () => {
        await stopAll();
        await ops.close();
        redis.disconnect();
      })();
      return closed;
    },
  };
}
