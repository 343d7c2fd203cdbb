-- A viewer votes in a poll: one ballot per viewer per poll, final.
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (xs:{<bid>}:idem:<actor>:<id>)
-- ARGV: 1 key prefix, 2 vid, 3 pid, 4 choices (JSON list of option indexes, validated by the
--       domain against the poll's options), 5 idem ttl, 6 maxlen
-- include: _prelude.lua
local vid, pid, choices = ARGV[2], ARGV[3], ARGV[4]
local ttl, maxlen = tonumber(ARGV[5]), tonumber(ARGV[6])
local done = idem_get(KEYS[3])
if done then return done end
-- Nothing is written, not even the refusal, once the broadcast is gone.
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local pkey = P .. 'p:' .. pid
local f = redis.call('HMGET', pkey, 'state', 'n', 'multi')
if not f[1] then return idem_put(KEYS[3], err('not_found', 'poll ' .. pid .. ' does not exist'), ttl) end
if f[1] ~= 'open' then return idem_put(KEYS[3], err('closed', 'poll ' .. pid .. ' is not open'), ttl) end
local list = cjson.decode(choices)
local n = tonumber(f[2])
if #list < 1 or (f[3] ~= '1' and #list ~= 1) then
  return idem_put(KEYS[3], err('invalid', 'wrong number of choices'), ttl)
end
for _, c in ipairs(list) do
  if type(c) ~= 'number' or c < 0 or c >= n or c % 1 ~= 0 then
    return idem_put(KEYS[3], err('invalid', 'no such option'), ttl)
  end
end
if redis.call('HSETNX', P .. 'pb:' .. pid, vid, choices) == 0 then
  -- 'conflict' as docs/protocol.md says ('duplicate' is a repeated question).
  return idem_put(KEYS[3], err('conflict', 'you already voted in this poll',
    {mine = cjson.decode(redis.call('HGET', P .. 'pb:' .. pid, vid))}), ttl)
end
for _, c in ipairs(list) do redis.call('HINCRBY', P .. 'pt:' .. pid, c, 1) end
redis.call('HINCRBY', pkey, 'ballots', 1)
local p = poll_table(pid)
local pos = emit({type = 'tally', pid = tonumber(pid), tallies = p.tallies, ballots = p.ballots,
  voter = vid, choices = list, results = p.results, state = p.state}, maxlen)
return idem_put(KEYS[3], cjson.encode({ok = true, poll = tonumber(pid), tallies = p.tallies,
  ballots = p.ballots, results = p.results, mine = list, pos = pos}), ttl)
