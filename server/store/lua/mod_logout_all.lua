-- Ends every session of a moderator (not audited: no account changes).
-- KEYS: 1 the account, 2 the user's session set   ARGV: 1 session key prefix
-- Returns the number of sessions deleted (0 when there is no such account).
-- include: _sessions.lua
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return kill_sessions(KEYS[2], ARGV[1])
