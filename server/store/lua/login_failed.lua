-- Counts one failed login against each counter given.
-- KEYS: the failure counters (xs:{dep}:rl:loginip:<iphash>, and xs:{dep}:rl:login:<user>
--       when the name could exist)
-- ARGV: 1 window seconds
-- The TTL is set only when missing, so the window is fixed (from the first
-- failure), not extended by each new failure.
for _, k in ipairs(KEYS) do
  redis.call('INCR', k)
  if redis.call('TTL', k) < 0 then redis.call('EXPIRE', k, ARGV[1]) end
end
return 1
