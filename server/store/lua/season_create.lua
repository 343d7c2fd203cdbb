-- Creates a season. Runs in the {season} slot.
-- KEYS: 1 the season hash, 2 the season index (zset), 3 the seasons' audit stream
-- ARGV: 1 prefix "xs:{season}:", 2 sid, 3 name, 4 year, 5 user (audit)
-- Idempotent: creating the same season again (same name and year) answers ok
-- with created = false and records nothing; another name or year is a conflict.
-- include: _prelude.lua
local sid, name, year, user = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local cur = redis.call('HMGET', KEYS[1], 'name', 'year', 'created')
if cur[3] then
  if cur[1] == name and cur[2] == year then
    return cjson.encode({ok = true, created = false, sid = sid})
  end
  return err('conflict', 'season ' .. sid .. ' already exists')
end
local now = now_ms()
redis.call('HSET', KEYS[1], 'id', sid, 'name', name, 'year', year, 'created', now)
redis.call('ZADD', KEYS[2], now, sid)
-- The prelude's audit() writes P .. 'audit' = KEYS[3] (ARGV[1] is the season prefix).
audit(user, 'season.create', 'season:' .. sid, cjson.encode({name = name, year = tonumber(year)}))
return cjson.encode({ok = true, created = true, sid = sid})
