-- A moderator replaces or erases the contact note of a question they entered
-- (moderators only; the audit entry says that it changed, never what it says).
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key
-- ARGV: 2 user, 3 qid, 4 contact ('' = erase), 5 idem ttl
-- include: _prelude.lua
local done = idem_get(KEYS[3])
if done then return done end
local qkey = P .. 'q:' .. ARGV[3]
local ttl = tonumber(ARGV[5])
if redis.call('EXISTS', qkey) == 0 then
  return idem_put(KEYS[3], err('not_found', 'question ' .. ARGV[3] .. ' does not exist'), ttl)
end
if ARGV[4] == '' then redis.call('HDEL', qkey, 'contact') else redis.call('HSET', qkey, 'contact', ARGV[4]) end
audit(ARGV[2], 'q.contact', 'q:' .. ARGV[3], cjson.encode({erased = ARGV[4] == ''}))
return idem_put(KEYS[3], cjson.encode({ok = true, qid = tonumber(ARGV[3])}), ttl)
