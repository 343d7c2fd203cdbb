-- One hub process delivers webhooks at a time: it holds this lease and renews
-- it; another process takes over when it lapses (a killed process) or at once
-- when the holder releases it (a process that stops).
-- KEYS: 1 the lease key
-- ARGV: 1 'xs:{dep}:hooks:', 2 process id, 3 lease ms (0 = release)
-- include: _prelude.lua
local holder = redis.call('GET', KEYS[1])
if tonumber(ARGV[3]) == 0 then
  if holder == ARGV[2] then redis.call('DEL', KEYS[1]) end
  return 0
end
if holder == false or holder == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', tonumber(ARGV[3]))
  return 1
end
return 0
