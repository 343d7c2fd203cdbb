-- Deletes every session of a user and their session set; returns how many
-- sessions there were. usess: xs:{dep}:usess:<user>; sess_prefix: xs:{dep}:sess: (the
-- session keys are the set's members appended to it, undeclared: in the
-- declared keys' slot, since the prefix carries the deployment's hash tag).
local function kill_sessions(usess, sess_prefix)
  local digests = redis.call('SMEMBERS', usess)
  for _, d in ipairs(digests) do redis.call('DEL', sess_prefix .. d) end
  redis.call('DEL', usess)
  return #digests
end
