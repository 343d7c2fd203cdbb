-- One hub process writes the likes it buffered for ~200 ms: one script call per
-- broadcast per flush. Idempotent per (process, flush sequence): a redis-py
-- retry after a lost reply never counts a batch twice. It also records, per
-- (viewer, tab), the id of the last like command counted, so a client resending
-- an unacknowledged batch after a reconnect (to any process) is not counted twice.
-- KEYS: 1 meta, 2 events, 3 likes total, 4 flush-seq hash, 5 last-like-id hash
-- ARGV: 1 key prefix, 2 process id, 3 flush seq, 4 delta, 5 maxlen, 6.. pairs (viewer:tab, like id)
-- include: _prelude.lua
-- A flush can run late, after the broadcast was deleted: refused, nothing
-- written (the likes it carried are answered not_found).
local state = broadcast_state()
if not state then return err('not_found', 'no such broadcast') end
local proc, seq, delta = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local last = tonumber(redis.call('HGET', KEYS[4], proc) or '-1')
if last >= seq then
  return cjson.encode({ok = true, total = tonumber(redis.call('GET', KEYS[3]) or '0'), replay = true})
end
-- After the end of the show (bc_update.lua) a flush counts nothing: its likes
-- were never acknowledged (a like is acknowledged by the flush that wrote it),
-- and they are answered 'closed'. A replay of a flush applied before the end
-- still answers ok, above.
if state == 'ended' then return err('closed', 'the broadcast has ended; likes are closed') end
local total = redis.call('INCRBY', KEYS[3], delta)
tl_add('likes', delta, now_ms())
redis.call('HSET', KEYS[4], proc, seq)
call_chunked('HSET', KEYS[5], 6)
local pos = emit({type = 'likes', total = total}, tonumber(ARGV[5]))
return cjson.encode({ok = true, total = total, pos = pos})
