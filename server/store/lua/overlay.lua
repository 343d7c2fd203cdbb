-- A moderator chooses what the overlay shows ('' = nothing).
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (xs:{<bid>}:idem:<actor>:<id>)
-- ARGV: 1 key prefix, 2 show, 3 poll id ('' = none), 4 idem ttl, 5 maxlen, 6 moderator's user name (audit log)
-- include: _prelude.lua
local ttl, maxlen = tonumber(ARGV[4]), tonumber(ARGV[5])
local done = idem_get(KEYS[3])
if done then return done end
if not broadcast_state() then return err('not_found', 'no such broadcast') end
if ARGV[3] ~= '' and redis.call('EXISTS', P .. 'p:' .. ARGV[3]) == 0 then
  return idem_put(KEYS[3], err('not_found', 'poll ' .. ARGV[3] .. ' does not exist'), ttl)
end
local prev = redis.call('HGET', P .. 'overlay', 'poll')
if prev and prev ~= ARGV[3] then redis.call('HSET', P .. 'p:' .. prev, 'shown', 0) end
redis.call('HSET', P .. 'overlay', 'show', ARGV[2], 'poll', ARGV[3])
if ARGV[3] ~= '' then redis.call('HSET', P .. 'p:' .. ARGV[3], 'shown', 1) end
local shown = {show = nullable(ARGV[2]), poll = nullable(tonumber(ARGV[3]))}
local pos = emit({type = 'overlay', show = shown.show, poll = shown.poll}, maxlen)
audit(ARGV[6], 'overlay', 'overlay', cjson.encode(shown))
return idem_put(KEYS[3], cjson.encode({ok = true, pos = pos}), ttl)
