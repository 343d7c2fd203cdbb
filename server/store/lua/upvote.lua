-- A viewer upvotes a question or withdraws the upvote. Explicit on/off (not a
-- toggle) so a resend can never flip it back; one upvote per viewer (a set).
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (xs:{<bid>}:idem:<actor>:<id>)
-- ARGV: 1 key prefix, 2 vid, 3 qid, 4 on ('1'|'0'), 5 idem ttl, 6 stream maxlen,
--       7 the statuses open for upvotes (comma list: the domain's public ones),
--       8 viewer budget burst, 9 its refill per minute (viewer_budget())
-- include: _prelude.lua
-- A refusal (missing or closed question, ended broadcast, own question, budget spent)
-- writes nothing, not even itself under the command id: a flood of them costs
-- Redis nothing, and the hub's per-connection refusal budget closes the socket.
local vid, qid, on = ARGV[2], ARGV[3], ARGV[4] == '1'
local ttl, maxlen = tonumber(ARGV[5]), tonumber(ARGV[6])
local burst, per_min = tonumber(ARGV[8]), tonumber(ARGV[9])

local done = idem_get(KEYS[3])
if done then return done end
-- Nothing is written, not even the refusal, once the broadcast is gone.
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local qkey = P .. 'q:' .. qid
local f = redis.call('HMGET', qkey, 'status', 'asker')
local status = f[1]
if not status then return err('not_found', 'question ' .. qid .. ' does not exist') end
if not string.find(',' .. ARGV[7] .. ',', ',' .. status .. ',', 1, true) then
  return err('not_found', 'question ' .. qid .. ' is not open for upvotes')
end
if broadcast_state() == 'ended' then return err('closed', 'the broadcast has ended') end
-- Asking is the asker's support (docs/protocol.md): 'votes' counts the other
-- viewers who upvoted, so the asker's own upvote is refused (a withdrawal of
-- one made before this rule stays possible).
if on and f[2] == vid then
  return err('conflict', 'this is your own question: asking it already counts as your support')
end
-- Every accepted upvote spends the viewer's budget, a no-op one too (its
-- result is remembered under its id); a refusal writes nothing.
local wait_s = viewer_budget(vid, burst, per_min)
if wait_s then
  return err('rate_limited', 'too many upvotes; try again in ' .. wait_s .. ' s', {retry_after = wait_s})
end
note_activity(vid, 1)
local changed
if on then
  changed = redis.call('SADD', P .. 'qv:' .. qid, vid)
  redis.call('SADD', P .. 'myv:' .. vid, qid)
else
  changed = redis.call('SREM', P .. 'qv:' .. qid, vid)
  redis.call('SREM', P .. 'myv:' .. vid, qid)
end
local votes = redis.call('SCARD', P .. 'qv:' .. qid)
local pos = cjson.null
if changed == 1 then
  redis.call('HSET', qkey, 'votes', votes)
  index_votes(qid, status, votes)
  pos = emit({type = 'votes', qid = tonumber(qid), votes = votes, status = status, voter = vid, on = on}, maxlen)
end
return idem_put(KEYS[3], cjson.encode({ok = true, qid = tonumber(qid), votes = votes, on = on, pos = pos}), ttl)
