-- Carrying a question into this (later) episode: the target side. A new
-- question, approved, with the text, name, tag, source and asker of the
-- original, its supporters (upvotes) kept, a 查询码 of its own and
-- carried_from = "<source bid>:<qid>". Idempotent under the key
-- idem:carry:<source bid>:<qid> (KEYS[3]): a retried carry returns the same question.
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key
-- ARGV: 2 user, 3 from ("<bid>:<qid>"), 4 text, 5 name, 6 tag, 7 source,
--       8 asker ('' = none), 9 idem ttl, 10 stream maxlen, 11 查询码 prefix,
--       12 candidate suffixes, 13.. supporters (viewer ids)
-- include: _prelude.lua
local done = idem_get(KEYS[3])
if done then return done end
local state = broadcast_state()
if not state then return err('not_found', 'no such broadcast') end
if state == 'ended' then return err('closed', 'the target broadcast has ended') end
local user, from, asker = ARGV[2], ARGV[3], ARGV[8]
local ttl, maxlen = tonumber(ARGV[9]), tonumber(ARGV[10])
local now = now_ms()
local qid = redis.call('INCR', P .. 'qseq')
local qkey = P .. 'q:' .. qid
local votes = #ARGV - 12
redis.call('HSET', qkey, 'id', qid, 'text', ARGV[4], 'name', ARGV[5], 'tag', ARGV[6],
  'status', 'approved', 'votes', votes, 'starred', 0, 'created', now, 'updated', now,
  'carried_from', from)
if ARGV[7] ~= '' then redis.call('HSET', qkey, 'source', ARGV[7]) end
if asker ~= '' then
  redis.call('HSET', qkey, 'asker', asker)
  redis.call('ZADD', P .. 'mine:' .. asker, now, qid)
end
for i = 13, #ARGV do
  redis.call('SADD', P .. 'qv:' .. qid, ARGV[i])
  redis.call('SADD', P .. 'myv:' .. ARGV[i], qid)
end
index_move(qid, nil, 'approved', now, votes)
local code = assign_code(qkey, qid, ARGV[11], ARGV[12])
local q = question_table(qkey)
local pos = emit({type = 'question', q = q, asker = asker ~= '' and asker or nil, prev = cjson.null}, maxlen)
audit(user, 'q.carry_in', 'q:' .. qid, cjson.encode({from = from, votes = votes}))
return idem_put(KEYS[3], cjson.encode({ok = true, qid = qid, code = code, pos = pos}), ttl)
