import { comparePositions } from '@blockcast/protocol';
import type { Redis } from 'ioredis';
import { RedisScript } from './redis-script.js';
import { positionOfId } from './stream-entry.js';
import { STREAM_LUA_PRELUDE } from './stream-lua.js';

/** What a tail checks its cursor against: the stream's epoch and top, read together. */
export interface LogState {
  /** Null when the stream does not exist (or was written before epochs and never appended to since). */
  epoch: string | null;
  /** The top height; 0 when there is none. */
  top: number;
  /** The seq of the last entry: > 0 when generic events follow block `top` (0 when none). */
  topSeq: number;
  /** The chain of the last entry ('' when it has none: written before chains, or no entry). */
  topChain: string;
  /**
   * The entry a reader asked about (the last it took), when it asked: its chain ('' when it has
   * none), or null when the stream no longer holds it; `trimmed` when it is below the oldest entry.
   */
  cursor?: { id: string; chain: string | null; trimmed: boolean };
}

export interface LogKeys {
  stream: string;
  epoch: string;
}

/**
 * Lua replying a state: `{epoch or false, top, top seq, top chain, cursor chain or false, oldest
 * ID or false}`; `cursor`, when given, is the ID of the entry a reader last took.
 */
const STATE_REPLY = `
local function state_reply(epoch, top, last_id, newest, cursor)
  local seq = last_id and tonumber(string.match(last_id, '-(%d+)$')) or 0
  local cursor_chain, oldest_id = false, false
  if cursor then
    local entry = redis.call('XRANGE', KEYS[1], cursor, cursor)
    if #entry > 0 then cursor_chain = field_of(entry[1][2], 'chain') or '' end
    local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
    if #oldest > 0 then oldest_id = oldest[1][1] end
  end
  return {epoch or false, top or 0, seq, chain_of(newest), cursor_chain, oldest_id}
end
`;

/** KEYS: stream, epoch. ARGV: [the ID of the reader's last entry]. Replies a state. */
const READ_STATE = new RedisScript(`${STREAM_LUA_PRELUDE}${STATE_REPLY}
local top, newest, last_id = stream_top(KEYS[1])
return state_reply(epoch_of(KEYS[1], KEYS[2], newest), top, last_id, newest, ARGV[1])
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
return state_reply(epoch, top, last_id, newest, nil)
`);

/** The state; with `cursor` (the ID of the entry a reader last took), also whether that entry is still the same. */
export async function readLogState(redis: Redis, keys: LogKeys, cursor?: string): Promise<LogState> {
  const reply = await READ_STATE.run(redis, [keys.stream, keys.epoch], cursor === undefined ? [] : [cursor]);
  return parseState(reply, cursor);
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

function parseState(reply: unknown, cursor?: string): LogState {
  const [epoch, top, topSeq, topChain, cursorChain, oldestId] = reply as [
    string | null,
    number,
    number,
    string,
    string | null,
    string | null,
  ];
  const state: LogState = { epoch: epoch ?? null, top: Number(top), topSeq: Number(topSeq), topChain };
  if (cursor === undefined) return state;
  const trimmed =
    cursorChain === null &&
    (oldestId === null || comparePositions(positionOfId(cursor), positionOfId(oldestId)) < 0);
  return { ...state, cursor: { id: cursor, chain: cursorChain ?? null, trimmed } };
}
