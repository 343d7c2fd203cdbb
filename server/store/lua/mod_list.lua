-- Read-only: every account.
-- KEYS: 1 the user set   ARGV: 1 account key prefix (xs:{dep}:mod:)
-- Returns a flat list: user name, admin, created ms, ...
local out = {}
for _, u in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local h = redis.call('HMGET', ARGV[1] .. u, 'admin', 'created')
  if h[2] then
    out[#out + 1] = u
    out[#out + 1] = h[1] or '0'
    out[#out + 1] = h[2]
  end
end
return out
