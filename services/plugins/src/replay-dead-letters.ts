/**
 * `replay-dead-letters.ts [plugin]`: re-sends a webhook plugin's dead letters (default plugin name
 * `webhook`) with its PLUGINS_WEBHOOK_* settings, removing each one the endpoint accepts. Exits 0
 * when none is left, 1 when some are still refused (run it again later), and stops on SIGTERM.
 */
import { createLogger, requireRedisTarget, runMain } from '@blockcast/common';
import { createRedisClient } from '@blockcast/event-log';
import { loadReplayConfig } from './config.js';
import { replayDeadLetters } from './dead-letter-replay.js';
import { deadLetterKey } from './runner/dead-letter-stream.js';

await runMain('blockcast-replay-dead-letters', async () => {
  const config = loadReplayConfig(process.env, process.argv.slice(2));
  const target = requireRedisTarget(config.redis, 'the dead-letter replay');
  const logger = createLogger({ name: 'blockcast-replay-dead-letters', level: config.logLevel });
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
  const redis = createRedisClient(target, { maxRetriesPerRequest: 1 });
  try {
    const key = deadLetterKey(config.streamPrefix, config.plugin);
    const outcome = await replayDeadLetters({
      redis,
      key,
      webhook: config.webhook,
      logger,
      signal: stop.signal,
    });
    logger.info({ stream: key, ...outcome }, `${outcome.replayed} replayed, ${outcome.remaining} still dead`);
    process.exitCode = outcome.remaining > 0 ? 1 : 0;
  } finally {
    redis.disconnect();
  }
});
