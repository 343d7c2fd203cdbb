-- Creates a moderator account (or a department official's), audited.
-- KEYS: 1 the account (xs:{dep}:mod:<user>), 2 the user set (xs:{dep}:mods, or xs:{dep}:officials),
--       3 the deployment audit log
-- ARGV: 1 user name, 2 password hash (scrypt, salted), 3 admin '1'|'0', 4 created ms,
--       5 who did it (an administrator's user name, 'system' or 'cli'),
--       6 role ('' = moderator, 'official'), 7 department id (officials),
--       8 '1' = the password is a one-time one (the first sign-in must change it)
-- Returns 1 = created, 2 = this very create already happened (the same
-- salted hash: a redis-py retry; not audited twice), 0 = the name is taken.
-- include: _audit.lua
local pw = redis.call('HGET', KEYS[1], 'pw')
if pw then
  if pw == ARGV[2] then return 2 end
  return 0
end
redis.call('HSET', KEYS[1], 'pw', ARGV[2], 'admin', ARGV[3], 'created', ARGV[4], 'pwv', '1')
if ARGV[8] == '1' then redis.call('HSET', KEYS[1], 'otp', '1') end
redis.call('SADD', KEYS[2], ARGV[1])
if ARGV[6] == 'official' then
  redis.call('HSET', KEYS[1], 'role', 'official', 'dept', ARGV[7])
  audit_append(KEYS[3], ARGV[5], 'official.add', 'official:' .. ARGV[1],
    cjson.encode({dept = ARGV[7]}))
else
  audit_append(KEYS[3], ARGV[5], 'moderator.add', 'moderator:' .. ARGV[1],
    cjson.encode({admin = ARGV[3] == '1'}))
end
return 1
