-- Opens a session after the password was verified (off Redis), unless the
-- account's password version changed meanwhile. Prunes expired digests from
-- the user's session set.
-- KEYS: 1 the session (xs:{dep}:sess:<digest>), 2 the user's session set, 3 the account
-- ARGV: 1 user, 2 csrf token, 3 password version verified, 4 created ms, 5 ttl s,
--       6 session key prefix, 7 digest
-- Returns 1, or 0 when the password changed or the account went.
if redis.call('HGET', KEYS[3], 'pwv') ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], 'user', ARGV[1], 'csrf', ARGV[2], 'pwv', ARGV[3],
           'created', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
for _, d in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[6] .. d) == 0 then redis.call('SREM', KEYS[2], d) end
end
redis.call('SADD', KEYS[2], ARGV[7])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return 1
