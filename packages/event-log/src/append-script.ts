import type { BlockEvent } from '@blockcast/protocol';
import type { Redis } from 'ioredis';
import { type AppendRefusal, AppendRefusedError, type AppendResult } from './event-log.js';
import { RedisScript } from './redis-script.js';
import { encodeBlock, entryId } from './stream-entry.js';
import { STREAM_LUA_PRELUDE } from './stream-lua.js';
import { type WrittenEntry, writtenArgs } from './written-entry.js';

/**
 * The whole append decision runs inside Redis as one script, so concurrent appenders (several
 * ingest replicas, retries) cannot interleave between the check and the XADD.
 * KEYS: stream, epoch. ARGV: height, digest, block, trim, min ID, a fresh epoch (scripts must not
 * make randomness) used when the stream does not exist yet (or the writer's last entry was lost),
 * the only height an empty stream takes, and the writer's last entry (ID, chain, epoch; '' when
 * none). Replies `{status, n, epoch, chain}`: n is the height for appended, else the next height
 * the log accepts.
 */
const APPEND = new RedisScript(`${STREAM_LUA_PRELUDE}
local key, epoch_key = KEYS[1], KEYS[2]
local height = tonumber(ARGV[1])
local id = ARGV[1] .. '-0'
local top, newest = stream_top(key)

-- The epoch of a success; a stream written before epochs existed gets one now, and so does a
-- history that lost the writer's last entry (a rollback nobody has signalled yet).
local function settled_epoch(chain)
  local epoch = epoch_of(key, epoch_key, newest)
  if not epoch or writer_lost(key, epoch, ARGV[8], ARGV[9], ARGV[10], id, chain) then epoch = ARGV[6] end
  if redis.call('GET', epoch_key) ~= epoch then redis.call('SET', epoch_key, epoch) end
  return epoch
end

if top == nil and height ~= tonumber(ARGV[7]) then return {'HEIGHT_GAP', tonumber(ARGV[7]), false} end
if top == nil or height == top + 1 then
  local prev = chain_of(newest)
  local chain = next_chain(prev, id, ARGV[2])
  local epoch = settled_epoch(chain)
  redis.call('XADD', key, 'MINID', ARGV[4], ARGV[5], id, 'digest', ARGV[2], 'block', ARGV[3], 'epoch', epoch,
    'prev', prev, 'chain', chain)
  return {'appended', height, epoch, chain}
end
local expected = top + 1
if height > expected then return {'HEIGHT_GAP', expected, false} end
local entry = redis.call('XRANGE', key, id, id)
if #entry == 0 then return {'HEIGHT_BEYOND_RETENTION', expected, false} end
if field_of(entry[1][2], 'digest') == ARGV[2] then
  local chain = field_of(entry[1][2], 'chain') or ''
  return {'duplicate', expected, settled_epoch(chain), chain}
end
return {'HEIGHT_CONFLICT', expected, false}
`);

export type TrimMode = 'approximate' | 'exact';

export interface AppendArguments {
  key: string;
  epochKey: string;
  block: BlockEvent;
  retainBlocks: number;
  firstHeight: number;
  trim: TrimMode;
  /** Becomes the epoch when this append creates the stream, or finds the writer's last entry lost. */
  freshEpoch: string;
  lastWritten: WrittenEntry | undefined;
}

/** Appends through the script; throws {@link AppendRefusedError} when Redis refuses. */
export async function appendWithScript(
  redis: Redis,
  args: AppendArguments,
): Promise<{ result: AppendResult; written: WrittenEntry }> {
  const { block } = args;
  const minRetained = Math.max(0, block.height - args.retainBlocks + 1);
  const trim = args.trim === 'exact' ? '=' : '~';
  const argv = [
    String(block.height),
    block.digest,
    encodeBlock(block),
    trim,
    String(minRetained),
    args.freshEpoch,
    String(args.firstHeight),
    ...writtenArgs(args.lastWritten),
  ];
  const reply = await APPEND.run(redis, [args.key, args.epochKey], argv);
  const [status, height, epoch, chain] = reply as [string, number, string | null, string | undefined];
  if (status === 'appended' || status === 'duplicate') {
    return {
      result: { status, height: block.height, epoch: epoch ?? '' },
      written: { id: entryId(block.height), chain: chain ?? '', epoch: epoch ?? '' },
    };
  }
  throw new AppendRefusedError(status as AppendRefusal, block.height, height);
}
