-- Grants or revokes the admin flag, audited only when it changed.
-- KEYS: 1 the account, 2 the deployment audit log
-- ARGV: 1 admin '1'|'0', 2 who did it, 3 user name
-- Returns 1 if the account exists, else 0.
-- include: _audit.lua
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[1], 'admin') ~= ARGV[1] then
  redis.call('HSET', KEYS[1], 'admin', ARGV[1])
  audit_append(KEYS[2], ARGV[2], 'moderator.admin', 'moderator:' .. ARGV[3],
    cjson.encode({admin = ARGV[1] == '1'}))
end
return 1
