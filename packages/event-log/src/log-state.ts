import type { Redis } from 'ioredis';
import { RedisScript } from './redis-script.js';
import { STREAM_LUA_PRELUDE } from './stream-lua.js';

/** What a tail checks its cursor against: the stream's epoch and top, read together. */
export interface LogState {
  /** Null when the stream does not exist (or was written before epochs and never appended to since). */
  epoch: string | null;
  /** The top height; 0 when there is none. */
  top: number;
  /** The seq of the last entry: > 0 when generic events follow block `top` (0 when none). */
  topSeq: number;
}

export interface LogKeys {
  stream: string;
  epoch: string;
}

/** Lua replying a state: `{epoch or false, top, top seq}`. */
const STATE_REPLY = `
local function state_reply(epoch, top, last_id)
  local seq = last_id and tonumber(string.match(last_id, '-(%d+)$')) or 0
  return {epoch or false, top or 0, seq}
end
`;

/** KEYS: stream, epoch. Replies a state. */
const READ_STATE = new RedisScript(`${STREAM_LUA_PRELUDE}${STATE_REPLY}
local top, newest, last_id = stream_top(KEYS[1])
return state_reply(epoch_of(KEYS[1], KEYS[2], newest), top, last_id)
`);

/**
 * The compare-and-set that starts a new epoch after a rollback: only while the epoch is still the
 * one the caller saw, so of many readers noticing the same rollback only the first changes it.
 * KEYS: stream, epoch. ARGV: the epoch seen, the new one. Replies like READ_STATE, after the switch.
 */
const SWITCH_EPOCH = new RedisScript(`${STREAM_LUA_PRELUDE}${STATE_REPLY}
local top, newest, last_id = stream_top(KEYS[1])
local epoch = epoch_of(KEYS[1], KEYS[2], newest)
if epoch == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2])
  epoch = ARGV[2]
end
return state_reply(epoch, top, last_id)
`);

export async function readLogState(redis: Redis, keys: LogKeys): Promise<LogState> {
  return parseState(await READ_STATE.run(redis, [keys.stream, keys.epoch], []));
}

/** Replaces epoch `seen` by `fresh` unless someone already did; answers the state after. */
export async function switchEpoch(
  redis: Redis,
  keys: LogKeys,
  seen: string,
  fresh: string,
): Promise<LogState> {
  return parseState(await SWITCH_EPOCH.run(redis, [keys.stream, keys.epoch], [seen, fresh]));
}

function parseState(reply: unknown): LogState {
  const [epoch, top, topSeq] = reply as [string | null, number, number];
  return { epoch: epoch ?? null, top: Number(top), topSeq: Number(topSeq) };
}
