-- A viewer votes in a poll: one ballot per viewer per poll, final.
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (xs:{<bid>}:idem:<actor>:<id>)
-- ARGV: 1 key prefix, 2 vid, 3 pid, 4 choices (JSON list of option indexes, validated by the
--       domain against the poll's options; a ranking's in its order, best first), 5 idem ttl, 6 maxlen
-- include: _prelude.lua
-- A refusal writes nothing, not even itself under the command id (a resend is
-- judged again): a flood of refused ballots costs Redis nothing, and the hub's
-- per-connection refusal budget closes the socket. An accepted ballot is at
-- most one per viewer per poll, so it needs no budget of its own.
local vid, pid, choices = ARGV[2], ARGV[3], ARGV[4]
local ttl, maxlen = tonumber(ARGV[5]), tonumber(ARGV[6])
local done = idem_get(KEYS[3])
if done then return done end
-- Nothing is written, not even the refusal, once the broadcast is gone.
local state = broadcast_state()
if not state then return err('not_found', 'no such broadcast') end
if state == 'ended' then return err('closed', 'the broadcast has ended; voting is closed') end
local pkey = P .. 'p:' .. pid
local f = redis.call('HMGET', pkey, 'state', 'n', 'multi', 'kind')
if not f[1] then return err('not_found', 'poll ' .. pid .. ' does not exist') end
if f[1] ~= 'open' then return err('closed', 'poll ' .. pid .. ' is not open') end
local kind = f[4] or 'choice'
if kind == 'words' then return err('invalid', 'poll ' .. pid .. ' takes a text answer (poll.answer)') end
local list = cjson.decode(choices)
local n = tonumber(f[2])
-- A ranking orders every option (server/domain/poll_kinds.py): n distinct indexes, best first.
local ranking = kind == 'ranking'
if #list < 1 or (ranking and #list ~= n) or (not ranking and f[3] ~= '1' and #list ~= 1) then
  return err('invalid', ranking and ('rank all ' .. n .. ' options') or 'wrong number of choices')
end
local seen = {}
for _, c in ipairs(list) do
  if type(c) ~= 'number' or c < 0 or c >= n or c % 1 ~= 0 then
    return err('invalid', 'no such option')
  end
  if seen[c] then return err('invalid', 'an option is repeated') end
  seen[c] = true
end
-- Stored and echoed sorted, except a ranking's order, which is the ballot.
if not ranking then table.sort(list); choices = cjson.encode(list) end
if redis.call('HSETNX', P .. 'pb:' .. pid, vid, choices) == 0 then
  -- 'conflict' as docs/protocol.md says ('duplicate' is a repeated question).
  return err('conflict', 'you already voted in this poll',
    {mine = cjson.decode(redis.call('HGET', P .. 'pb:' .. pid, vid))})
end
note_activity(vid, 1)
for pos, c in ipairs(list) do
  -- Borda: n-1 points for first ... 0 for last; every other kind: one per chosen option.
  redis.call('HINCRBY', P .. 'pt:' .. pid, c, ranking and (n - pos) or 1)
end
redis.call('HINCRBY', pkey, 'ballots', 1)
tl_add('votes', 1, now_ms())
local p = poll_table(pid)
local pos = emit({type = 'tally', pid = tonumber(pid), tallies = p.tallies, ballots = p.ballots,
  voter = vid, choices = list, results = p.results, state = p.state}, maxlen)
return idem_put(KEYS[3], cjson.encode({ok = true, poll = tonumber(pid), tallies = p.tallies,
  ballots = p.ballots, results = p.results, mine = list, pos = pos}), ttl)
