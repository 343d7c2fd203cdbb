-- A moderator enters a question that did not come through the phone page
-- (热线, 来信, 现场, 其他平台, 委员). It joins the queue approved (a moderator
-- wrote it), with its source, a name as it should be shown, and an optional
-- contact note that only moderators see (q hash field "contact", never in an
-- event or a snapshot). It has no asker: nobody rates it; its 查询码 is given
-- to the moderator to pass on.
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key
-- ARGV: 2 user (audit), 3 text, 4 name, 5 tag ('' = none), 6 source, 7 contact,
--       8 idem ttl, 9 stream maxlen, 10 查询码 prefix ('' = none), 11 candidate suffixes
-- include: _prelude.lua
local user, text, name, tag, source, contact = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local ttl, maxlen = tonumber(ARGV[8]), tonumber(ARGV[9])
local done = idem_get(KEYS[3])
if done then return done end
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local now = now_ms()
local qid = redis.call('INCR', P .. 'qseq')
local qkey = P .. 'q:' .. qid
redis.call('HSET', qkey, 'id', qid, 'text', text, 'name', name, 'tag', tag, 'status', 'approved',
  'votes', 0, 'starred', 0, 'created', now, 'updated', now, 'source', source)
if contact ~= '' then redis.call('HSET', qkey, 'contact', contact) end
index_move(qid, nil, 'approved', now, 0)
local code = assign_code(qkey, qid, ARGV[10], ARGV[11])
local q = question_table(qkey)
local pos = emit({type = 'question', q = q, prev = cjson.null}, maxlen)
audit(user, 'q.enter', 'q:' .. qid, cjson.encode({source = source, contact = contact ~= ''}))
return idem_put(KEYS[3], cjson.encode({ok = true, qid = qid, status = 'approved', pos = pos,
  code = code}), ttl)
