-- Deletes every session of a user and their session set; returns how many
-- sessions there were. usess: xs:usess:<user>; sess_prefix: xs:sess: (the
-- session keys are the set's members appended to it, undeclared: fine on one
-- Redis, not under Cluster, as server/store/accounts.py says).
local function kill_sessions(usess, sess_prefix)
  local digests = redis.call('SMEMBERS', usess)
  for _, d in ipairs(digests) do redis.call('DEL', sess_prefix .. d) end
  redis.call('DEL', usess)
  return #digests
end
