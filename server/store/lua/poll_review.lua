-- A moderator approves or rejects a held word-cloud answer.
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (xs:{<bid>}:idem:<actor>:<id>)
-- ARGV: 1 key prefix, 2 pid, 3 answer id, 4 approve ('1'|'0'), 5 idem ttl, 6 maxlen,
--       7 moderator's user name (audit log)
-- Approving counts the answer's words in the same step (a tally event with the new cloud,
-- naming the answer so consoles drop it from their queue); rejecting keeps it uncounted
-- (an answer event, moderators only). Only a pending answer can be reviewed (conflict).
-- include: _prelude.lua
local pid, aid, approve = ARGV[2], ARGV[3], ARGV[4] == '1'
local ttl, maxlen = tonumber(ARGV[5]), tonumber(ARGV[6])
local done = idem_get(KEYS[3])
if done then return done end
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local pkey = P .. 'p:' .. pid
local kind = redis.call('HGET', pkey, 'kind')
if not kind then return idem_put(KEYS[3], err('not_found', 'poll ' .. pid .. ' does not exist'), ttl) end
if kind ~= 'words' then return err('invalid', 'poll ' .. pid .. ' is not a word cloud') end
local raw = redis.call('HGET', P .. 'pa:' .. pid, aid)
if not raw then return idem_put(KEYS[3], err('not_found', 'answer ' .. aid .. ' does not exist'), ttl) end
local a = cjson.decode(raw)
if a.status ~= 'pending' then
  return idem_put(KEYS[3], err('conflict', 'answer ' .. aid .. ' is ' .. a.status, {current = a.status}), ttl)
end
a.status = approve and 'counted' or 'rejected'
redis.call('HSET', P .. 'pa:' .. pid, aid, cjson.encode(a))
redis.call('ZREM', P .. 'pq:' .. pid, aid)
local pos
local answer = {id = tonumber(aid), text = a.text}
if approve then
  for _, w in ipairs(a.words) do redis.call('ZINCRBY', P .. 'pw:' .. pid, 1, w) end
  redis.call('HINCRBY', pkey, 'ballots', 1)
  tl_add('votes', 1, now_ms())
  local p = poll_table(pid)
  pos = emit({type = 'tally', pid = tonumber(pid), tallies = p.tallies, ballots = p.ballots,
    voter = a.vid, choices = {a.text}, results = p.results, state = p.state, hidden = p.hidden,
    pending = p.pending, answer = answer, status = a.status}, maxlen)
else
  pos = emit({type = 'answer', pid = tonumber(pid), answer = answer, status = a.status,
    pending = redis.call('ZCARD', P .. 'pq:' .. pid)}, maxlen)
end
audit(ARGV[7], 'poll.review', 'poll:' .. pid, cjson.encode({answer = tonumber(aid), text = a.text,
  status = a.status}))
return idem_put(KEYS[3], cjson.encode({ok = true, poll = tonumber(pid), answer = tonumber(aid),
  status = a.status, pos = pos}), ttl)
