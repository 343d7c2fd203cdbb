-- Puts a broadcast into a season (the broadcast's side: meta field "season").
-- Runs in the broadcast's slot. The season's own list (xs:{season}:<sid>:bcs)
-- is another slot: Seasons.add_broadcast writes it next, and the indexer
-- derives it again from the "season" event this script appends.
-- KEYS: 1 meta, 2 events, 3 meta (no idempotency key: the write is idempotent)
-- ARGV: 1 key prefix, 2 sid, 3 user (audit), 4 stream maxlen
-- A broadcast belongs to at most one season: another season is a conflict.
-- include: _prelude.lua
local sid, user, maxlen = ARGV[2], ARGV[3], tonumber(ARGV[4])
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local cur = redis.call('HGET', KEYS[1], 'season')
if cur == sid then return cjson.encode({ok = true, changed = false}) end
if cur and cur ~= '' then
  return err('conflict', 'the broadcast already belongs to season ' .. cur, {current = cur})
end
redis.call('HSET', KEYS[1], 'season', sid)
local pos = emit({type = 'season', season = sid}, maxlen)
audit(user, 'season.add', 'season:' .. sid, '{}')
return cjson.encode({ok = true, changed = true, pos = pos})
