import { createHash } from 'node:crypto';
import type { BlockEvent } from '@blockcast/protocol';
import type { Redis } from 'ioredis';
import { type AppendRefusal, AppendRefusedError, type AppendResult } from './event-log.js';
import { encodeBlock } from './stream-entry.js';

/**
 * The whole append decision runs inside Redis as one script, so concurrent appenders (several
 * ingest replicas, retries) cannot interleave between the check and the XADD.
 * Replies `{status, n}`: n is the height for appended, else the next height the log accepts.
 */
const APPEND_LUA = `
local key = KEYS[1]
local height = tonumber(ARGV[1])
local id = ARGV[1] .. '-0'
local function height_of(entry_id) return tonumber(string.match(entry_id, '^(%d+)-')) end

local top = nil
local last = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
if #last > 0 then
  top = height_of(last[1][1])
elseif redis.call('EXISTS', key) == 1 then
  -- Emptied by hand (XTRIM/XDEL): XADD refuses IDs at or below the last one it generated, and
  -- readers' cursors must never move back, so that ID still counts as the top.
  local info = redis.call('XINFO', 'STREAM', key)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' and info[i + 1] ~= '0-0' then top = height_of(info[i + 1]) end
  end
end

if top == nil or height == top + 1 then
  redis.call('XADD', key, 'MINID', ARGV[4], ARGV[5], id, 'digest', ARGV[2], 'block', ARGV[3])
  return {'appended', height}
end
local expected = top + 1
if height > expected then return {'HEIGHT_GAP', expected} end
local entry = redis.call('XRANGE', key, id, id)
if #entry == 0 then return {'HEIGHT_BEYOND_RETENTION', expected} end
local fields = entry[1][2]
for i = 1, #fields, 2 do
  if fields[i] == 'digest' then
    if fields[i + 1] == ARGV[2] then return {'duplicate', expected} end
    break
  end
end
return {'HEIGHT_CONFLICT', expected}
`;

const APPEND_SHA = createHash('sha1').update(APPEND_LUA).digest('hex');

export type TrimMode = 'approximate' | 'exact';

export interface AppendArguments {
  key: string;
  block: BlockEvent;
  retainBlocks: number;
  trim: TrimMode;
}

/** Appends through the script; throws {@link AppendRefusedError} when Redis refuses. */
export async function appendWithScript(redis: Redis, args: AppendArguments): Promise<AppendResult> {
  const { block } = args;
  const minRetained = Math.max(0, block.height - args.retainBlocks + 1);
  const trim = args.trim === 'exact' ? '=' : '~';
  const argv = [String(block.height), block.digest, encodeBlock(block), trim, String(minRetained)];
  const [status, height] = (await evalCached(redis, args.key, argv)) as [string, number];
  if (status === 'appended' || status === 'duplicate') return { status, height: block.height };
  throw new AppendRefusedError(status as AppendRefusal, block.height, height);
}

/** EVALSHA first: the script body is sent only when this server has not seen it (restart, failover). */
async function evalCached(redis: Redis, key: string, argv: string[]): Promise<unknown> {
  try {
    return await redis.evalsha(APPEND_SHA, 1, key, ...argv);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
    return redis.eval(APPEND_LUA, 1, key, ...argv);
  }
}
