-- Creates or edits a department (承办单位). Runs in the {dept} slot.
-- KEYS: 1 the department hash, 2 the department index (zset), 3 the departments' audit stream
-- ARGV: 1 prefix "xs:{dept}:" (so the prelude's audit() writes KEYS[3]), 2 id, 3 name,
--       4 short name, 5 contact, 6 user (audit)
-- Idempotent: writing what is already there changes and records nothing.
-- include: _prelude.lua
local id, name, short, contact, user = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local cur = redis.call('HMGET', KEYS[1], 'name', 'short', 'contact', 'created')
if cur[4] and cur[1] == name and cur[2] == short and cur[3] == contact then
  return cjson.encode({ok = true, changed = false, created = false})
end
local created = not cur[4]
redis.call('HSET', KEYS[1], 'id', id, 'name', name, 'short', short, 'contact', contact)
if created then
  local now = now_ms()
  redis.call('HSET', KEYS[1], 'created', now)
  redis.call('ZADD', KEYS[2], now, id)
end
audit(user, created and 'dept.add' or 'dept.edit', 'dept:' .. id,
  cjson.encode({name = name, short = short}))
return cjson.encode({ok = true, changed = true, created = created})
