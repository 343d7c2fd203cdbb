-- Creates a moderator account, audited.
-- KEYS: 1 the account (xs:mod:<user>), 2 the user set (xs:mods), 3 the deployment audit log
-- ARGV: 1 user name, 2 password hash (scrypt, salted), 3 admin '1'|'0', 4 created ms,
--       5 who did it (an administrator's user name, 'system' or 'cli')
-- Returns 1 = created, 2 = this very create already happened (the same
-- salted hash: a redis-py retry; not audited twice), 0 = the name is taken.
-- include: _audit.lua
local pw = redis.call('HGET', KEYS[1], 'pw')
if pw then
  if pw == ARGV[2] then return 2 end
  return 0
end
redis.call('HSET', KEYS[1], 'pw', ARGV[2], 'admin', ARGV[3], 'created', ARGV[4], 'pwv', '1')
redis.call('SADD', KEYS[2], ARGV[1])
audit_append(KEYS[3], ARGV[5], 'moderator.add', 'moderator:' .. ARGV[1],
  cjson.encode({admin = ARGV[3] == '1'}))
return 1
