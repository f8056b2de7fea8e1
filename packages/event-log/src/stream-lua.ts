/**
 * Lua shared by every script on the stream (KEYS[1]) and its epoch key (KEYS[2]), so appends,
 * tails and the rollback switch read the top and the epoch the same way.
 */
export const STREAM_LUA_PRELUDE = `
local function height_of(entry_id) return tonumber(string.match(entry_id, '^(%d+)-')) end

local function field_of(fields, name)
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return nil
end

-- The top height (nil when none), the newest entry's fields (nil when it has none) and the last
-- ID (a generic event's \`H-S\` counts as height H: events never move the top).
local function stream_top(key)
  local last = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
  if #last > 0 then return height_of(last[1][1]), last[1][2], last[1][1] end
  if redis.call('EXISTS', key) == 0 then return nil, nil end
  -- Emptied by hand (XTRIM/XDEL): XADD refuses IDs at or below the last one it generated, and
  -- readers' cursors must never move back, so that ID still counts as the top.
  local info = redis.call('XINFO', 'STREAM', key)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' and info[i + 1] ~= '0-0' then
      return height_of(info[i + 1]), nil, info[i + 1]
    end
  end
  return nil, nil
end

-- Every entry carries \`prev\` (the chain of the entry before it) and \`chain\`, a hash over the
-- whole history up to it: two histories that put different entries at one position (Redis
-- restored without the last events, then new ones emitted) never share a chain from there on.
local function chain_of(newest)
  return newest and field_of(newest, 'chain') or ''
end
local function next_chain(prev, id, digest)
  return redis.sha1hex(prev .. '|' .. id .. '|' .. digest)
end

-- Where entry \`id\` with \`chain\` stands now: 'held' (there with that chain, or no chain to
-- compare), 'trimmed' (below the oldest entry: retention took it), 'rewritten' (another entry at
-- its place) or 'lost' (gone): the last two only after a rollback.
local function compare_ids(a, b)
  local ah, as = string.match(a, '^(%d+)-(%d+)$')
  local bh, bs = string.match(b, '^(%d+)-(%d+)$')
  ah, as, bh, bs = tonumber(ah), tonumber(as), tonumber(bh), tonumber(bs)
  if ah ~= bh then return ah < bh and -1 or 1 end
  if as ~= bs then return as < bs and -1 or 1 end
  return 0
end

local function entry_fate(key, id, chain)
  local entry = redis.call('XRANGE', key, id, id)
  if #entry > 0 then
    local found = field_of(entry[1][2], 'chain')
    if found == nil or chain == nil or chain == '' or found == chain then return 'held' end
    return 'rewritten'
  end
  local oldest = redis.call('XRANGE', key, '-', '+', 'COUNT', 1)
  if #oldest > 0 and compare_ids(id, oldest[1][1]) < 0 then return 'trimmed' end
  return 'lost'
end

-- Whether the history changed under a writer and nobody has said so yet (the epoch is still the
-- one of its last entry): that entry holds another chain, or is gone and this write, at
-- \`write_id\` with \`write_chain\`, passes its place or puts something else there. A write before
-- its place decides nothing yet: the same entries may be written again (a sender re-posting).
local function writer_lost(key, current_epoch, id, chain, epoch, write_id, write_chain)
  if id == '' or current_epoch ~= epoch then return false end
  local fate = entry_fate(key, id, chain)
  if fate == 'rewritten' then return true end
  if fate ~= 'lost' then return false end
  local order = compare_ids(write_id, id)
  return order > 0 or (order == 0 and write_chain ~= chain)
end

-- The epoch of an existing stream: its key, else the newest entry's field (the key was deleted
-- alone); nil when the stream does not exist, since a missing stream has no history to belong to.
local function epoch_of(key, epoch_key, newest)
  if redis.call('EXISTS', key) == 0 then return nil end
  local epoch = redis.call('GET', epoch_key)
  if epoch then return epoch end
  if newest then return field_of(newest, 'epoch') end
  return nil
end
`;
