-- A moderator stars/unstars a question or edits its text (the original kept).
-- ARGV: 2 qid, 3 field ('starred' | 'text'), 4 value, 5 idem ttl, 6 stream maxlen
local qid, field, value = ARGV[2], ARGV[3], ARGV[4]
local ttl, maxlen = tonumber(ARGV[5]), tonumber(ARGV[6])

local done = idem_get(KEYS[3])
if done then return done end
local qkey = P .. 'q:' .. qid
if redis.call('EXISTS', qkey) == 0 then
  return idem_put(KEYS[3], err('not_found', 'question ' .. qid .. ' does not exist'), ttl)
end
if redis.call('HGET', qkey, field) == value then
  return idem_put(KEYS[3], cjson.encode({ok = true, qid = tonumber(qid), changed = false}), ttl)
end
if field == 'text' and redis.call('HEXISTS', qkey, 'orig') == 0 then
  redis.call('HSET', qkey, 'orig', redis.call('HGET', qkey, 'text'))
end
redis.call('HSET', qkey, field, value, 'updated', now_ms())
local q, asker = question_table(qkey)
local pos = emit({type = 'question', q = q, asker = asker, prev = q.status}, maxlen)
return idem_put(KEYS[3], cjson.encode({ok = true, qid = tonumber(qid), changed = true, pos = pos}), ttl)
