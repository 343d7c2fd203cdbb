-- Adds a broadcast to a season's episode list (the {season} slot's side).
-- KEYS: 1 the season hash, 2 its broadcasts zset
-- ARGV: 1 prefix, 2 bid, 3 position ('' = after the last episode)
-- Idempotent: a broadcast already listed keeps its position.
-- include: _prelude.lua
if redis.call('EXISTS', KEYS[1]) == 0 then return err('not_found', 'no such season') end
local have = redis.call('ZSCORE', KEYS[2], ARGV[2])
if have then return cjson.encode({ok = true, position = tonumber(have)}) end
local pos = tonumber(ARGV[3])
if not pos then
  local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  pos = (tonumber(last[2]) or 0) + 1
end
redis.call('ZADD', KEYS[2], pos, ARGV[2])
return cjson.encode({ok = true, position = pos})
