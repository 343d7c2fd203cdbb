-- A deleted broadcast leaves the deployment's list and its join code goes;
-- the deletion is recorded in the deployment audit log once, when the index
-- entry was still there (a retried delete records nothing more). Run by
-- server/store/deletion.py after the sweep, before the meta hash goes.
-- KEYS: 1 the broadcast index (xs:{dep}:broadcasts), 2 the join code key
--       (xs:{dep}:join:<code>; the index again when the broadcast had none),
--       3 the deployment audit log (xs:{dep}:audit)
-- ARGV: 1 bid, 2 moderator's user name, 3 audit detail JSON
-- Returns 1 when the entry was removed (and recorded), 0 when it was gone.
-- include: _audit.lua
if KEYS[2] ~= KEYS[1] then redis.call('DEL', KEYS[2]) end
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  audit_append(KEYS[3], ARGV[2], 'bc.delete', 'broadcast:' .. ARGV[1], ARGV[3])
  return 1
end
return 0
