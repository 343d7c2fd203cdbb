-- Rehearsal mode of a draft broadcast (server/ops/rehearsal.py drives it).
-- KEYS: 1 meta, 2 events, 3 meta again (no idempotency key: every step is safe to repeat)
-- ARGV: 1 key prefix, 2 step, 3 moderator's user name (audit log), then per step:
--   'on'     4 audit detail JSON ('' = no audit entry: the start of a clear),
--            5 maxlen. Sets meta rehearsal=1, which refuses going live
--            (bc_update.lua) until a clear has finished.
--   'sweep'  4.. keys of this broadcast to delete. Protected keys (meta, epoch,
--            events, audit, id counters, word lists, moderators' command
--            results) are skipped.
--   'reset'  4 new epoch, 5 maxlen, 6 audit detail JSON, 7.. every question
--            status (from the domain's enum). Deletes the index keys a
--            write racing the sweep may have re-created, empties the event
--            stream, sets rehearsal=0 and a new epoch, then appends a 'reset'
--            event (every hub resynchronises its clients with a snapshot) and a
--            'broadcast' event. Returns the question and poll counters: ids are
--            never reused, so a stray item of the rehearsal stays recognisable.
--   'strays' 4 question id cut, 5 poll id cut, 6.. keys: deletes per-item keys
--            (q:, qv:, p:, pt:, pb:, pw:, ph:, pa:, pav:, pq:) whose id is at or below the cut.
-- Every step but 'strays' refuses ('conflict') unless the broadcast is a draft.
-- include: _prelude.lua
local step, user = ARGV[2], ARGV[3]
local state = broadcast_state()
if not state then return err('not_found', 'no such broadcast') end
if step ~= 'strays' and state ~= 'draft' then
  return err('conflict', 'rehearsal data can only be filled or cleared while the broadcast is a draft',
    {current = state})
end

local function protected(rest)
  return rest == 'meta' or rest == 'epoch' or rest == 'events' or rest == 'audit'
    or rest == 'qseq' or rest == 'pseq' or rest == 'scenes'
    or string.sub(rest, 1, 5) == 'words' or string.sub(rest, 1, 7) == 'idem:m:'
end

if step == 'on' then
  local pos = cjson.null
  if redis.call('HGET', KEYS[1], 'rehearsal') ~= '1' then
    redis.call('HSET', KEYS[1], 'rehearsal', '1')
    pos = emit({type = 'broadcast', b = broadcast_table()}, tonumber(ARGV[5]))
  end
  if ARGV[4] ~= '' then audit(user, 'rehearsal.fill', 'broadcast', ARGV[4]) end
  return cjson.encode({ok = true, pos = pos})
end

if step == 'sweep' then
  local n = 0
  for i = 4, #ARGV do
    local key = ARGV[i]
    if string.sub(key, 1, #P) == P and not protected(string.sub(key, #P + 1)) then
      n = n + redis.call('UNLINK', key)
    end
  end
  return cjson.encode({ok = true, deleted = n})
end

if step == 'reset' then
  local index = {'polls', 'onair', 'likes', 'likeflush', 'likelast', 'overlay', 'presence', 'visits',
    'tl:viewers', 'tl:views', 'tl:devices', 'tl:likes', 'tl:asked', 'tl:approved', 'tl:votes',
    'banned', 'banq', 'rundown'}
  for _, name in ipairs(index) do redis.call('UNLINK', P .. name) end
  for i = 7, #ARGV do
    redis.call('UNLINK', P .. 'qs:' .. ARGV[i])
    redis.call('UNLINK', P .. 'qtop:' .. ARGV[i])
  end
  redis.call('SET', P .. 'epoch', ARGV[4])
  redis.call('XTRIM', KEYS[2], 'MAXLEN', 0)
  redis.call('HSET', KEYS[1], 'rehearsal', '0')
  local maxlen = tonumber(ARGV[5])
  local pos = emit({type = 'reset', epoch = ARGV[4]}, maxlen)
  emit({type = 'broadcast', b = broadcast_table()}, maxlen)
  audit(user, 'rehearsal.clear', 'broadcast', ARGV[6])
  return cjson.encode({ok = true, pos = pos, qcut = tonumber(redis.call('GET', P .. 'qseq') or '0'),
    pcut = tonumber(redis.call('GET', P .. 'pseq') or '0')})
end

if step == 'strays' then
  local cut = {q = tonumber(ARGV[4]), qv = tonumber(ARGV[4]), p = tonumber(ARGV[5]),
    pt = tonumber(ARGV[5]), pb = tonumber(ARGV[5]), pw = tonumber(ARGV[5]), ph = tonumber(ARGV[5]),
    pa = tonumber(ARGV[5]), pav = tonumber(ARGV[5]), pq = tonumber(ARGV[5])}
  local n = 0
  for i = 6, #ARGV do
    local kind, id = string.match(string.sub(ARGV[i], #P + 1), '^(%a+):(%d+)$')
    if string.sub(ARGV[i], 1, #P) == P and kind and cut[kind] and tonumber(id) <= cut[kind] then
      n = n + redis.call('UNLINK', ARGV[i])
    end
  end
  return cjson.encode({ok = true, deleted = n})
end
return err('invalid', 'unknown rehearsal step')
