-- A moderator merges question `qid` into question `into` (one atomic step).
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (xs:{<bid>}:idem:<actor>:<id>)
-- ARGV: 1 key prefix, 2 moderator's user name (audit log), 3 qid, 4 into, 5 statuses `into`
--       may not have (comma list, from the domain), 6 idem ttl, 7 stream maxlen
-- Supporters are united: the upvoters of `into` become the union of both sets
-- plus the asker of `qid` (unless that viewer asked `into` too), so a viewer
-- who upvoted both counts once, and each of them has `into` among their
-- upvotes. `qid` becomes `merged` (merged_into = into), leaves its status set
-- for `qs:merged`, and leaves the air if it was on it. Events: `question` for
-- qid (viewers other than its asker get question_removed from projection),
-- `votes` for into, `question` for into.
-- include: _prelude.lua
local user, qid, into, refused = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local ttl, maxlen = tonumber(ARGV[6]), tonumber(ARGV[7])

local done = idem_get(KEYS[3])
if done then return done end
-- Nothing is written, not even the refusal, once the broadcast is gone.
if not broadcast_state() then return err('not_found', 'no such broadcast') end

local qkey, ikey = P .. 'q:' .. qid, P .. 'q:' .. into
local cur = redis.call('HGET', qkey, 'status')
if not cur then return idem_put(KEYS[3], err('not_found', 'question ' .. qid .. ' does not exist'), ttl) end
local icur = redis.call('HGET', ikey, 'status')
if not icur then return idem_put(KEYS[3], err('not_found', 'question ' .. into .. ' does not exist'), ttl) end
if qid == into then
  return idem_put(KEYS[3], err('invalid', 'question ' .. qid .. ' cannot be merged into itself'), ttl)
end
if cur == 'merged' then
  return idem_put(KEYS[3], err('conflict', 'question ' .. qid .. ' is already merged',
    {current = cur}), ttl)
end
if string.find(',' .. refused .. ',', ',' .. icur .. ',', 1, true) then
  return idem_put(KEYS[3], err('conflict', 'question ' .. into .. ' is ' .. icur ..
    '; nothing can be merged into it', {current = icur}), ttl)
end

local now = now_ms()
local qv, iv = P .. 'qv:' .. qid, P .. 'qv:' .. into
local asker = redis.call('HGET', qkey, 'asker')
local into_asker = redis.call('HGET', ikey, 'asker')
local moved = redis.call('SMEMBERS', qv)
if asker and asker ~= into_asker then moved[#moved + 1] = asker end
for _, vid in ipairs(moved) do
  redis.call('SADD', iv, vid)
  redis.call('SADD', P .. 'myv:' .. vid, into)
end
local votes = redis.call('SCARD', iv)
redis.call('HSET', ikey, 'votes', votes)
index_votes(into, icur, votes)

redis.call('HSET', qkey, 'status', 'merged', 'merged_into', into, 'updated', now)
local qcreated, qvotes = unpack(redis.call('HMGET', qkey, 'created', 'votes'))
index_move(qid, cur, 'merged', qcreated, qvotes)
if redis.call('GET', P .. 'onair') == qid then redis.call('DEL', P .. 'onair') end

local q = question_table(qkey)
emit({type = 'question', q = q, asker = asker, prev = cur}, maxlen)
emit({type = 'votes', qid = tonumber(into), votes = votes, status = icur}, maxlen)
local iq = question_table(ikey)
local pos = emit({type = 'question', q = iq, asker = into_asker, prev = icur}, maxlen)
audit(user, 'q.merge', 'q:' .. qid, cjson.encode({into = tonumber(into), from = cur, votes = votes}))
return idem_put(KEYS[3], cjson.encode({ok = true, qid = tonumber(qid), into = tonumber(into),
  votes = votes, pos = pos}), ttl)
