-- A moderator bans (or lifts the ban on) a viewer for this broadcast.
-- Moderators never see viewer ids: they name a viewer by one of their
-- questions (`qid`), or by the pseudonym shown in the list of active viewers,
-- which the hub resolves to the viewer id (ARGV 8) before calling.
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (xs:{<bid>}:idem:<actor>:<id>)
-- ARGV: 1 key prefix, 2 moderator's user name (audit log), 3 qid ('' = by
--       pseudonym), 4 on ('1'|'0'), 5 the viewer's pseudonym (for the audit
--       log and the result: the hub computes it, the script never sees the
--       secret), 6 idem ttl, 7 maxlen, 8 the viewer id when qid is ''
-- On a ban, the viewer's pending and approved questions become rejected with
-- reason "banned" (events as any status change), `ask.lua` refuses them from
-- now on (`banned` set), and the `ban` event, which names the viewer by id in
-- the stream, makes every hub process close that viewer's sockets (4403).
-- Lifting a ban restores no question.
-- include: _prelude.lua
local user, qid, on, pseudonym = ARGV[2], ARGV[3], ARGV[4] == '1', ARGV[5]
local ttl, maxlen = tonumber(ARGV[6]), tonumber(ARGV[7])

local done = idem_get(KEYS[3])
if done then return done end
-- Nothing is written, not even the refusal, once the broadcast is gone.
if not broadcast_state() then return err('not_found', 'no such broadcast') end

local vid = ARGV[8]
if qid ~= '' then
  vid = redis.call('HGET', P .. 'q:' .. qid, 'asker')
  if not vid then return idem_put(KEYS[3], err('not_found', 'question ' .. qid .. ' does not exist'), ttl) end
end
local qnum = cjson.null
if qid ~= '' then qnum = tonumber(qid) end

local removed = {}
local changed
if on then
  changed = redis.call('SADD', P .. 'banned', vid)
  -- banq: the question they were banned by ('' when banned by pseudonym).
  redis.call('HSET', P .. 'banq', vid, qid)
  local now = now_ms()
  for _, id in ipairs(redis.call('ZRANGE', P .. 'mine:' .. vid, 0, -1)) do
    local key = P .. 'q:' .. id
    local status = redis.call('HGET', key, 'status')
    if status == 'pending' or status == 'approved' then
      redis.call('HSET', key, 'status', 'rejected', 'reason', 'banned', 'updated', now)
      local created, votes = unpack(redis.call('HMGET', key, 'created', 'votes'))
      index_move(id, status, 'rejected', created, votes)
      local q = question_table(key)
      emit({type = 'question', q = q, asker = vid, prev = status}, maxlen)
      removed[#removed + 1] = tonumber(id)
      changed = 1
    end
  end
else
  changed = redis.call('SREM', P .. 'banned', vid)
  redis.call('HDEL', P .. 'banq', vid)
end

local pos = cjson.null
if changed == 1 then
  pos = emit({type = 'ban', asker = vid, qid = qnum, on = on}, maxlen)
  audit(user, 'viewer.ban', 'viewer:' .. pseudonym,
    cjson.encode({on = on, qid = qnum, removed = #removed}))
end
-- `removed` as a list even when empty (cjson would write {}): spliced in.
local result = cjson.encode({ok = true, asker = pseudonym, on = on, removed = '\0removed\0', pos = pos})
local list = '[]'
if #removed > 0 then list = cjson.encode(removed) end
result = string.gsub(result, '"\\u0000removed\\u0000"', function() return list end)
return idem_put(KEYS[3], result, ttl)
