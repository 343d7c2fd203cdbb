-- Creates a broadcast (in draft) with a new epoch. Refuses an existing id.
-- KEYS: 1 meta, 2 events, 3 epoch key
-- ARGV: 1 key prefix, 2 bid, 3 title, 4 topic, 5 settings JSON, 6 overlay key, 7 scheduled ('' = none),
--       8 epoch value, 9 maxlen, 10 moderator's user name (audit log)
-- include: _prelude.lua
if redis.call('EXISTS', KEYS[1]) == 1 then
  -- A redis-py retry of this very creation (same epoch) returns success again.
  if redis.call('GET', KEYS[3]) == ARGV[8] then
    return cjson.encode({ok = true, bid = ARGV[2], epoch = ARGV[8], replay = true})
  end
  return err('conflict', 'broadcast ' .. ARGV[2] .. ' already exists')
end
local now = now_ms()
redis.call('HSET', KEYS[1], 'id', ARGV[2], 'title', ARGV[3], 'topic', ARGV[4], 'state', 'draft',
  'settings', ARGV[5], 'okey', ARGV[6], 'created', now)
if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'scheduled', ARGV[7]) end
redis.call('SET', KEYS[3], ARGV[8])
local pos = emit({type = 'broadcast', b = broadcast_table()}, tonumber(ARGV[9]))
audit(ARGV[10], 'bc.create', 'broadcast', cjson.encode({title = ARGV[3]}))
return cjson.encode({ok = true, bid = ARGV[2], epoch = ARGV[8], created = now, pos = pos})
