import type { Redis } from 'ioredis';
import { RedisScript } from './redis-script.js';
import type { StreamEntry } from './stream-entry.js';
import { STREAM_LUA_PRELUDE } from './stream-lua.js';

/**
 * One read of a consumer group's next new entry (`XREADGROUP … >`), refused while retention has
 * trimmed entries the group never delivered: `XREADGROUP >` would skip them without a word. The
 * check and the read are one script, so no trimming falls between them.
 * Entries lost = entries ever added − the group's read counter − entries still in the stream,
 * whenever the group's last-delivered ID is older than every entry left (Redis ≥ 7 counters).
 * KEYS: stream. ARGV: group, consumer.
 * Replies `{'gap', delivered, lost or -1, oldest ID or false, counter to settle at}`,
 * `{'entry', delivered, id, fields}` or `{'none', delivered}`; a NOGROUP error when the stream or
 * the group is gone.
 */
const READ_NEW = new RedisScript(`${STREAM_LUA_PRELUDE}
local function before(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end

if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOGROUP the stream ' .. KEYS[1] .. ' does not exist')
end
local group
for _, each in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  if field_of(each, 'name') == ARGV[1] then group = each end
end
if not group then
  return redis.error_reply('NOGROUP no consumer group ' .. ARGV[1] .. ' on ' .. KEYS[1])
end
local delivered = field_of(group, 'last-delivered-id')
local counter = field_of(group, 'entries-read')
local stream = redis.call('XINFO', 'STREAM', KEYS[1])
local length = field_of(stream, 'length')
local added = field_of(stream, 'entries-added')
local first = field_of(stream, 'first-entry')
local oldest = first and first[1] or false
local edge = oldest or field_of(stream, 'last-generated-id')
if added and before(delivered, edge) then
  local lost = -1
  if counter then lost = added - counter - length end
  if lost > 0 then return {'gap', delivered, lost, oldest, counter + lost} end
  -- No counter to tell (entries deleted by XDEL): lost, unless the group chose to start at the beginning.
  if lost < 0 and delivered ~= '0-0' then return {'gap', delivered, -1, oldest, added - length} end
end
local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', 1, 'STREAMS', KEYS[1], '>')
if not reply then return {'none', delivered} end
local entry = reply[1][2][1]
return {'entry', delivered, entry[1], entry[2]}
`);

export type NewEntryRead =
  | {
      kind: 'gap';
      /** The group's last-delivered ID: every entry after it up to `oldest` is gone. */
      delivered: string;
      /** Entries lost, or null when Redis cannot count them. */
      lost: number | null;
      /** The oldest entry left, null when none is. */
      oldest: string | null;
      /** The group's read counter once the loss is accounted for (`XGROUP SETID … ENTRIESREAD`). */
      settledCounter: number;
    }
  | { kind: 'entry'; delivered: string; entry: StreamEntry }
  | { kind: 'none'; delivered: string };

export async function readNewEntry(
  redis: Redis,
  key: string,
  group: string,
  consumer: string,
): Promise<NewEntryRead> {
  const reply = (await READ_NEW.run(redis, [key], [group, consumer])) as unknown[];
  const delivered = String(reply[1]);
  if (reply[0] === 'gap') {
    const lost = Number(reply[2]);
    return {
      kind: 'gap',
      delivered,
      lost: lost < 0 ? null : lost,
      oldest: reply[3] ? String(reply[3]) : null,
      settledCounter: Number(reply[4]),
    };
  }
  if (reply[0] === 'entry')
    return { kind: 'entry', delivered, entry: [String(reply[2]), reply[3] as string[]] };
  return { kind: 'none', delivered };
}

/** Marks a signalled loss as read, so the next read goes on to the oldest entry left. */
export async function settleGap(
  redis: Redis,
  key: string,
  group: string,
  read: Extract<NewEntryRead, { kind: 'gap' }>,
): Promise<void> {
  await redis.call('XGROUP', 'SETID', key, group, read.delivered, 'ENTRIESREAD', String(read.settledCounter));
}
