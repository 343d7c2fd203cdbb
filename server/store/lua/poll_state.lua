-- A moderator opens or closes a poll.
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (xs:{<bid>}:idem:<actor>:<id>)
-- ARGV: 1 key prefix, 2 pid, 3 target, 4 allowed-from (comma list from the domain table), 5 idem ttl, 6 maxlen,
--       7 moderator's user name (audit log)
-- include: _prelude.lua
local pid, target, allowed = ARGV[2], ARGV[3], ARGV[4]
local ttl, maxlen = tonumber(ARGV[5]), tonumber(ARGV[6])
local done = idem_get(KEYS[3])
if done then return done end
-- Nothing is written, not even the refusal, once the broadcast is gone.
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local pkey = P .. 'p:' .. pid
local cur = redis.call('HGET', pkey, 'state')
if not cur then return idem_put(KEYS[3], err('not_found', 'poll ' .. pid .. ' does not exist'), ttl) end
if not string.find(',' .. allowed .. ',', ',' .. cur .. ',', 1, true) then
  return idem_put(KEYS[3], err('conflict', 'poll ' .. pid .. ' is ' .. cur .. '; it cannot become ' .. target,
    {current = cur}), ttl)
end
redis.call('HSET', pkey, 'state', target)
local pos = emit({type = 'poll', poll = poll_table(pid)}, maxlen)
audit(ARGV[7], 'poll.state', 'poll:' .. pid, cjson.encode({from = cur, to = target}))
return idem_put(KEYS[3], cjson.encode({ok = true, poll = tonumber(pid), state = target, pos = pos}), ttl)
