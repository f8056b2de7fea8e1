import type { Redis } from 'ioredis';
import {
  decodeEvent,
  type EmitLimits,
  idempotencyConflict,
  type PreparedEmit,
  tooManyEvents,
} from './emit-options.js';
import type { EmitResult } from './event-log.js';
import { RedisScript } from './redis-script.js';
import { positionId, positionOfId } from './stream-entry.js';
import { STREAM_LUA_PRELUDE } from './stream-lua.js';
import { type WrittenEntry, writtenArgs } from './written-entry.js';

/**
 * The whole emit runs inside Redis as one script, so racing emitters (several ingest replicas)
 * and appenders are ordered by Redis and none can slip between the read of the top and the XADD.
 * The ID is computed, not `<top>-*`: before the first block the stream may hold nothing at the
 * top height yet, where `*` would pick seq 0, a block's place. Heights stay strings in Lua (a
 * double prints large ones in exponent form).
 * KEYS: stream, epoch[, idempotency key]. ARGV: type, content JSON, emittedAt, a fresh epoch (used
 * when the stream does not exist yet), the height before the first one, the most events a
 * height takes, the emit's digest, the idempotency window in ms, and the writer's last entry (ID,
 * chain, epoch; '' when none). Replies `{status, event JSON or ID, epoch, chain}`.
 */
const EMIT = new RedisScript(`${STREAM_LUA_PRELUDE}
local key, epoch_key, remember_key = KEYS[1], KEYS[2], KEYS[3]
local top, newest, last_id = stream_top(key)
local current = epoch_of(key, epoch_key, newest)

local height, seq = ARGV[5], 1
if last_id then
  local last_height, last_seq = string.match(last_id, '^(%d+)-(%d+)$')
  height, seq = last_height, tonumber(last_seq) + 1
end
local id = height .. '-' .. seq
local event = '{"type":"' .. ARGV[1] .. '","height":' .. height .. ',"seq":' .. seq ..
  ',"content":' .. ARGV[2] .. ',"emittedAt":' .. ARGV[3] .. '}'
local prev = chain_of(newest)
local chain = next_chain(prev, id, redis.sha1hex(event))
-- A rollback nobody has signalled lost what this writer wrote: this write starts a new epoch.
if current and writer_lost(key, current, ARGV[9], ARGV[10], ARGV[11], id, chain) then current = ARGV[4] end

if remember_key then
  local seen = redis.call('HMGET', remember_key, 'digest', 'id', 'event', 'epoch', 'chain')
  -- A key from another history (the stream was recreated) says nothing about this one, nor does
  -- one whose event a rollback lost.
  local fate = seen[1] and seen[4] == current and entry_fate(key, seen[2], seen[5] or nil)
  if fate == 'held' or fate == 'trimmed' then
    if seen[1] == ARGV[7] then return {'duplicate', seen[3], seen[4], seen[5] or ''} end
    return {'IDEMPOTENCY_CONFLICT', seen[2], false}
  end
end

if seq > tonumber(ARGV[6]) then return {'TOO_MANY_EVENTS_AT_HEIGHT', height, false} end

local epoch = current or ARGV[4]
if redis.call('GET', epoch_key) ~= epoch then redis.call('SET', epoch_key, epoch) end
redis.call('XADD', key, id, 'event', event, 'epoch', epoch, 'prev', prev, 'chain', chain)
if remember_key then
  redis.call('HSET', remember_key, 'digest', ARGV[7], 'id', id, 'event', event, 'epoch', epoch, 'chain', chain)
  redis.call('PEXPIRE', remember_key, ARGV[8])
end
return {'appended', event, epoch, chain}
`);

export interface EmitArguments {
  key: string;
  epochKey: string;
  /** The key remembering the request's idempotency key, when it has one. */
  rememberKey: string | undefined;
  prepared: PreparedEmit;
  limits: EmitLimits;
  firstHeight: number;
  /** Becomes the epoch when this emit creates the stream, or finds the writer's last entry lost. */
  freshEpoch: string;
  lastWritten: WrittenEntry | undefined;
}

/** Emits through the script; throws {@link EmitRefusedError} when Redis refuses. */
export async function emitWithScript(
  redis: Redis,
  args: EmitArguments,
): Promise<{ result: EmitResult; written: WrittenEntry }> {
  const { prepared } = args;
  const keys = [args.key, args.epochKey, ...(args.rememberKey === undefined ? [] : [args.rememberKey])];
  const argv = [
    prepared.request.type,
    prepared.contentJson,
    String(prepared.request.emittedAt),
    args.freshEpoch,
    String(args.firstHeight - 1),
    String(args.limits.maxEventsPerHeight),
    prepared.digest,
    String(args.limits.idempotencyWindowMs),
    ...writtenArgs(args.lastWritten),
  ];
  const [status, value, epoch, chain] = (await EMIT.run(redis, keys, argv)) as [
    string,
    string,
    string | null,
    string | undefined,
  ];
  if (status === 'appended' || status === 'duplicate') {
    const event = decodeEvent(value);
    return {
      result: { status, event, epoch: epoch ?? '' },
      written: { id: positionId(event), chain: chain ?? '', epoch: epoch ?? '' },
    };
  }
  if (status === 'IDEMPOTENCY_CONFLICT') {
    throw idempotencyConflict(prepared.request.idempotencyKey ?? '', positionOfId(value));
  }
  throw tooManyEvents(Number(value), args.limits);
}
