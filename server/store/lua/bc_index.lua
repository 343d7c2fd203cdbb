-- A new broadcast enters the deployment's list and the deployment audit log
-- in one step, exactly once (ZADD NX) however often it is retried. Run by
-- Store.create_broadcast after bc_create.lua (these keys are in other slots).
-- KEYS: 1 the broadcast index (xs:{dep}:broadcasts), 2 the deployment audit log (xs:{dep}:audit)
-- ARGV: 1 bid, 2 created ms, 3 moderator's user name, 4 audit detail JSON
-- Returns 1 when the broadcast was added, 0 when it was already listed.
-- include: _audit.lua
if redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1]) == 1 then
  audit_append(KEYS[2], ARGV[3], 'bc.create', 'broadcast:' .. ARGV[1], ARGV[4])
  return 1
end
return 0
