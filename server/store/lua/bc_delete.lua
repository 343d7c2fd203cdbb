-- Deleting a broadcast (server/store/deletion.py drives the steps).
-- KEYS: 1 meta, 2 events, 3 meta again (no idempotency key: every step is safe to repeat)
-- ARGV: 1 key prefix, 2 step, then per step:
--   'mark'   3 force ('1': any state, the retention sweep of an ended
--            broadcast; '0': refused unless draft or ended), 4 maxlen.
--            Sets meta deleting=1 (the broadcast reads as missing from now on:
--            broadcast_state() in the prelude, Store.broadcast_meta) and appends
--            a 'deleted' event: every hub process closes its sockets with 4404.
--            Returns the join code, which lives outside the broadcast's slot.
--   'sweep'  3.. keys of this broadcast to delete (the meta hash is skipped:
--            it goes last, so a crash midway leaves a broadcast that a retry
--            can still find and finish).
--   'finish' deletes the meta hash.
-- include: _prelude.lua
local step = ARGV[2]
if step == 'mark' then
  local h = redis.call('HMGET', KEYS[1], 'state', 'join', 'deleting')
  local state, join, deleting = h[1], h[2], h[3]
  if not state then return err('not_found', 'no such broadcast') end
  if deleting ~= '1' then
    if ARGV[3] ~= '1' and state == 'live' then
      return err('conflict', 'the broadcast is live; end it before deleting it', {current = state})
    end
    redis.call('HSET', KEYS[1], 'deleting', '1')
    emit({type = 'deleted'}, tonumber(ARGV[4]))
  end
  return cjson.encode({ok = true, join = nullable(join), state = state})
end
if step == 'sweep' then
  local n = 0
  for i = 3, #ARGV do
    local key = ARGV[i]
    if string.sub(key, 1, #P) == P and key ~= KEYS[1] then n = n + redis.call('UNLINK', key) end
  end
  return cjson.encode({ok = true, deleted = n})
end
if step == 'finish' then
  redis.call('UNLINK', KEYS[1])
  return cjson.encode({ok = true})
end
return err('invalid', 'unknown delete step')
