-- A moderator stars/unstars a question, edits its text (the original kept) or
-- sets its tag (one of the broadcast's, checked by the domain; '' = none).
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (xs:{<bid>}:idem:<actor>:<id>)
-- ARGV: 1 key prefix, 2 qid, 3 field ('starred' | 'text' | 'tag'), 4 value, 5 idem ttl, 6 stream maxlen,
--       7 moderator's user name (audit log; recorded only when something changed),
--       8 expected current text of an edit ('' = any): the text the moderator
--         started from; another moderator's edit in between is a conflict, never
--         silently overwritten (a lost update)
-- include: _prelude.lua
local qid, field, value = ARGV[2], ARGV[3], ARGV[4]
local ttl, maxlen, user, expect = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7], ARGV[8] or ''

local done = idem_get(KEYS[3])
if done then return done end
-- Nothing is written, not even the refusal, once the broadcast is gone.
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local qkey = P .. 'q:' .. qid
if redis.call('EXISTS', qkey) == 0 then
  return idem_put(KEYS[3], err('not_found', 'question ' .. qid .. ' does not exist'), ttl)
end
local before = redis.call('HGET', qkey, field)
if field == 'tag' then before = before or '' end
if field == 'text' and expect ~= '' and before ~= expect and before ~= value then
  return idem_put(KEYS[3], err('conflict', 'question ' .. qid ..
    ' was edited by another moderator meanwhile', {current = before}), ttl)
end
if before == value then
  return idem_put(KEYS[3], cjson.encode({ok = true, qid = tonumber(qid), changed = false}), ttl)
end
if field == 'text' and redis.call('HEXISTS', qkey, 'orig') == 0 then
  redis.call('HSET', qkey, 'orig', before)
end
redis.call('HSET', qkey, field, value, 'updated', now_ms())
local q, asker = question_table(qkey)
local pos = emit({type = 'question', q = q, asker = asker, prev = q.status}, maxlen)
if field == 'text' then
  audit(user, 'q.edit', 'q:' .. qid, cjson.encode({from = before, to = value}))
elseif field == 'tag' then
  audit(user, 'q.tag', 'q:' .. qid, cjson.encode({from = nullable(before), to = nullable(value)}))
else
  audit(user, 'q.star', 'q:' .. qid, cjson.encode({on = value == '1'}))
end
return idem_put(KEYS[3], cjson.encode({ok = true, qid = tonumber(qid), changed = true, pos = pos}), ttl)
