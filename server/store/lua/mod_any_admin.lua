-- Read-only: whether any account is an administrator (first-start bootstrap).
-- KEYS: 1 the user set   ARGV: 1 account key prefix (xs:{dep}:mod:)
-- Returns 1 or 0.
for _, u in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('HGET', ARGV[1] .. u, 'admin') == '1' then return 1 end
end
return 0
