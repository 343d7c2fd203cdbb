-- Sets a new password: the password version goes up and every session is
-- deleted in the same step, so a reset that raced a login still wins.
-- KEYS: 1 the account, 2 the user's session set, 3 the deployment audit log
-- ARGV: 1 password hash, 2 session key prefix, 3 who did it, 4 user name,
--       5 '1' = a one-time password (set by an administrator: the next sign-in
--         must change it), else the holder's own choice
-- Returns the new password version, or -1 when there is no such account.
-- include: _audit.lua
-- include: _sessions.lua
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('HSET', KEYS[1], 'pw', ARGV[1])
if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'otp', '1') else redis.call('HDEL', KEYS[1], 'otp') end
local pwv = redis.call('HINCRBY', KEYS[1], 'pwv', 1)
local sessions = kill_sessions(KEYS[2], ARGV[2])
audit_append(KEYS[3], ARGV[3], 'moderator.password', 'moderator:' .. ARGV[4],
  cjson.encode({sessions = sessions}))
return pwv
