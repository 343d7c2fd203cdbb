-- Ends one session.
-- KEYS: 1 the session   ARGV: 1 user session set prefix (xs:{dep}:usess:), 2 digest
-- Returns 1 if a session was deleted.
local user = redis.call('HGET', KEYS[1], 'user')
if not user then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', ARGV[1] .. user, ARGV[2])
return 1
