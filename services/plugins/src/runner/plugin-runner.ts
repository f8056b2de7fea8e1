/**
 * One plugin's process (forked by the host, one per plugin, as in BigchainDB's plugin API): loads
 * the module, joins the plugin's consumer group and hands run() its events. It exits 0 when the
 * host stops it, EXIT_REFUSED when the module is not a plugin, 1 when run() throws or returns.
 */
import { createLogger } from '@blockcast/common';
import { createRedisClient, RedisConsumerGroup } from '@blockcast/event-log';
import type { PluginContext } from '../plugin-api.js';
import { acknowledgedEvents } from './acknowledged-events.js';
import { addDeadLetter, deadLetterKey } from './dead-letter-stream.js';
import { describeGap, describeReset } from './history-signals.js';
import { loadPlugin, PluginRefusedError } from './load-plugin.js';
import { EXIT_REFUSED, type HostMessage, type RunnerMessage } from './runner-messages.js';

function report(message: RunnerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send?.(message, undefined, {}, () => resolve());
  });
}

const init = await new Promise<Extract<HostMessage, { kind: 'init' }>>((resolve) => {
  process.once('message', (message: HostMessage) => {
    if (message.kind === 'init') resolve(message);
  });
});

const stopping = new AbortController();
process.on('message', (message: HostMessage) => {
  if (message.kind === 'stop') stopping.abort();
});
// The host gone means nobody supervises this process any more.
process.on('disconnect', () => stopping.abort());
// Ctrl-C reaches the whole process group: finish the event in hand like on the host's stop.
process.on('SIGTERM', () => stopping.abort());
process.on('SIGINT', () => stopping.abort());

const logger = createLogger({ name: `plugin:${init.name}`, level: init.logLevel });
const redis = createRedisClient(init.redis, { maxRetriesPerRequest: null });
redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));

let exitCode = 0;
try {
  const plugin = await loadPlugin(init.name, init.module);
  const deadLetters = deadLetterKey(init.streamPrefix, init.name);
  const context: PluginContext = {
    name: init.name,
    options: init.options,
    signal: stopping.signal,
    logger,
    deadLetter: async (event, reason) => {
      await addDeadLetter(redis, deadLetters, event, reason);
      void report({ kind: 'dead-letter' });
    },
  };
  const group = new RedisConsumerGroup({
    redis,
    prefix: init.streamPrefix,
    group: `plugin:${init.name}`,
    consumer: init.name,
    start: init.start,
    onError: (error) => logger.warn({ err: error }, 'consumer group read failed; retrying'),
    onReadable: (problem) => {
      if (problem !== undefined) logger.warn({ problem }, 'cannot read the bus; not ready until it can');
      else logger.info('reading the bus again');
      void report({ kind: 'reading', ...(problem === undefined ? {} : { problem }) });
    },
    onGap: async (gap) => {
      logger.error({ ...gap, stream: group.key }, describeGap(gap));
      void report({ kind: 'gap', lost: gap.lost });
      await plugin.onGap?.(gap, context);
    },
    onReset: async (reset) => {
      logger.error({ ...reset, stream: group.key }, describeReset(reset));
      void report({ kind: 'reset' });
      await plugin.onReset?.(reset, context);
    },
  });
  await group.create();
  const events = acknowledgedEvents(group.deliveries(stopping.signal), plugin.eventTypes, (count, height) => {
    void report({ kind: 'taken', events: count, height });
  });
  await report({ kind: 'started', eventTypes: plugin.eventTypes });
  await plugin.run(events, context);
  if (!stopping.signal.aborted) throw new Error('run() returned while the host was still running it');
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof PluginRefusedError) {
    exitCode = EXIT_REFUSED;
    await report({ kind: 'refused', message });
  } else {
    exitCode = 1;
    logger.error({ err: error }, 'plugin failed');
    await report({ kind: 'failed', message });
  }
} finally {
  redis.disconnect();
}
process.exit(exitCode);
