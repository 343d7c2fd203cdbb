-- Deletes a moderator account and every session of it, audited if it existed.
-- KEYS: 1 the account, 2 the user set, 3 the user's session set (xs:{dep}:usess:<user>),
--       4 the deployment audit log
-- ARGV: 1 user name, 2 session key prefix (xs:{dep}:sess:), 3 who did it
-- Returns 1 if the account existed.
-- include: _audit.lua
-- include: _sessions.lua
local existed = redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
local sessions = kill_sessions(KEYS[3], ARGV[2])
if existed == 1 then
  audit_append(KEYS[4], ARGV[3], 'moderator.remove', 'moderator:' .. ARGV[1],
    cjson.encode({sessions = sessions}))
end
return existed
