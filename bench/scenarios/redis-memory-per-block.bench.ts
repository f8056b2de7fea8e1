/**
 * Redis memory per retained block, for capacity planning (docs/operations.md): appends N blocks
 * of T realistic transactions (makeBlockEvent, the bus encoding of RedisStreamLog.append) to an
 * empty stream on a redis-server of its own, and reads `INFO memory` used_memory before and after.
 *
 *   npx tsx bench/scenarios/redis-memory-per-block.bench.ts [--blocks 10000] [--transactions 10]
 *
 * Prints one line per figure. Not part of `npm test`.
 */
import { parseArgs } from 'node:util';
import { makeBlockEvent, startRedisServer } from '@blockcast/devkit';
import { RedisStreamLog } from '@blockcast/event-log';
import { Redis } from 'ioredis';

const { values } = parseArgs({
  options: {
    blocks: { type: 'string', default: '10000' },
    transactions: { type: 'string', default: '10' },
  },
});
const BLOCKS = Number(values.blocks);
const TX_PER_BLOCK = Number(values.transactions);

const server = await startRedisServer();
const redis = new Redis(server.url);
const log = new RedisStreamLog({ redis, prefix: 'memory:', retainBlocks: BLOCKS });

const usedMemory = async () => {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1]);
};

try {
  const before = await usedMemory();
  let blockBytes = 0;
  for (let height = 1; height <= BLOCKS; height++) {
    const block = makeBlockEvent(height, TX_PER_BLOCK);
    blockBytes += Buffer.byteLength(JSON.stringify(block));
    await log.append(block);
  }
  const after = await usedMemory();
  const length = await redis.xlen(log.key);
  const perBlock = (after - before) / BLOCKS;
  const version = /^redis_version:(\S+)/m.exec(await redis.info('server'))?.[1];
  process.stdout.write(
    [
      `redis ${version}, ${BLOCKS} blocks of ${TX_PER_BLOCK} transactions (XLEN ${length})`,
      `used_memory before ${before} B, after ${after} B`,
      `per retained block: ${Math.round(perBlock)} B (${(perBlock / 1024).toFixed(2)} KiB)`,
      `normalised block JSON: ${Math.round(blockBytes / BLOCKS)} B on average`,
      `per 100 000 blocks: ${((perBlock * 100_000) / 2 ** 30).toFixed(2)} GiB`,
      '',
    ].join('\n'),
  );
} finally {
  await log.close();
  redis.disconnect();
  await server.stop();
}
