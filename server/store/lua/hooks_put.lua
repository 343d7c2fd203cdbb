-- An administrator adds, changes or removes a webhook, audited in the
-- deployment's log in the same step.
-- KEYS: 1 the webhooks hash (id -> config JSON), 2 the deployment audit log
-- ARGV: 1 'xs:{dep}:' (so audit() writes xs:{dep}:audit), 2 'put' | 'remove', 3 admin's
--       user name, 4 webhook id, 5 config JSON (put), 6 audit detail JSON
-- include: _prelude.lua
local op, user, id = ARGV[2], ARGV[3], ARGV[4]
if op == 'remove' then
  if redis.call('HDEL', KEYS[1], id) == 0 then return err('not_found', 'no such webhook') end
  audit(user, 'webhook.remove', 'webhook:' .. id, ARGV[6])
  return cjson.encode({ok = true, id = id, removed = true})
end
local existed = redis.call('HEXISTS', KEYS[1], id) == 1
redis.call('HSET', KEYS[1], id, ARGV[5])
audit(user, existed and 'webhook.update' or 'webhook.add', 'webhook:' .. id, ARGV[6])
return cjson.encode({ok = true, id = id})
