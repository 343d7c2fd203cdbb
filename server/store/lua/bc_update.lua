-- A moderator edits a broadcast: title/topic/settings/scheduled ('' = unchanged,
-- settings already validated and merged by the domain) or its state (allowed-from
-- list from the domain's transition table).
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (xs:{<bid>}:idem:<actor>:<id>)
-- ARGV: 1 key prefix, 2 title, 3 topic ('\0' = unchanged), 4 settings JSON, 5 target state,
--       6 allowed-from, 7 idem ttl, 8 maxlen, 9 scheduled ms ('' = unchanged,
--       'null' = clear), 10 moderator's user name (audit log), 11 audit detail of
--       an edit (JSON of the fields changed, as the moderator sent them)
-- Ending also clears the air and closes the polls in this same script
-- (_show_end.lua); going live again from ended clears 'ended' (the retention
-- sweep no longer counts) and reopens nothing else.
-- include: _prelude.lua
-- include: _show_end.lua
local ttl, maxlen = tonumber(ARGV[7]), tonumber(ARGV[8])
local done = idem_get(KEYS[3])
if done then return done end
local cur = broadcast_state()
local ended = nil  -- what the end of the show did (its audit detail)
if not cur then return err('not_found', 'no such broadcast') end
if ARGV[5] ~= '' then
  if cur == ARGV[5] then
    return idem_put(KEYS[3], err('conflict', 'the broadcast is already ' .. cur, {current = cur}), ttl)
  end
  if not string.find(',' .. ARGV[6] .. ',', ',' .. cur .. ',', 1, true) then
    return idem_put(KEYS[3], err('conflict', 'the broadcast is ' .. cur .. '; it cannot become ' .. ARGV[5],
      {current = cur}), ttl)
  end
  -- Rehearsal questions must never reach a live audience (rehearsal.lua).
  if ARGV[5] == 'live' and redis.call('HGET', KEYS[1], 'rehearsal') == '1' then
    return idem_put(KEYS[3], err('conflict', 'the broadcast holds rehearsal data; clear the rehearsal data first',
      {current = cur, rehearsal = true}), ttl)
  end
  redis.call('HSET', KEYS[1], 'state', ARGV[5])
  -- When it ended: the retention sweep (server/store/deletion.py) counts from here.
  if ARGV[5] == 'ended' then
    redis.call('HSET', KEYS[1], 'ended', now_ms())
    ended = end_show(maxlen)
  else
    redis.call('HDEL', KEYS[1], 'ended')
  end
  if ARGV[5] == 'live' then redis.call('HSETNX', KEYS[1], 'started', now_ms()) end
end
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'title', ARGV[2]) end
if ARGV[3] ~= '\0' then redis.call('HSET', KEYS[1], 'topic', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'settings', ARGV[4]) end
if ARGV[9] == 'null' then redis.call('HDEL', KEYS[1], 'scheduled')
elseif ARGV[9] ~= '' then redis.call('HSET', KEYS[1], 'scheduled', ARGV[9]) end
local b = broadcast_table()
-- prev: the state before this write (a webhook tells 'started' from an edit).
local pos = emit({type = 'broadcast', b = b, prev = cur}, maxlen)
if ARGV[5] ~= '' then
  local detail = {from = cur, to = ARGV[5]}
  if ended then
    detail.answered, detail.polls, detail.unsettled = ended.answered, ended.polls, ended.unsettled
  end
  audit(ARGV[10], 'bc.state', 'broadcast', cjson.encode(detail))
else
  audit(ARGV[10], 'bc.update', 'broadcast', ARGV[11])
end
return idem_put(KEYS[3], cjson.encode({ok = true, state = b.state, pos = pos}), ttl)
