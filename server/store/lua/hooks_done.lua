-- One delivery attempt ended: logged; done (delivered, or out of attempts) or
-- due again after its backoff.
-- KEYS: 1 due zset, 2 delivery log stream, 3 the delivery's hash (keys.hook_delivery)
-- ARGV: 1 'xs:{dep}:hooks:', 2 delivery id, 3 'ok' | 'retry' | 'failed',
--       4 HTTP status (0 = none), 5 error text, 6 next due ms (retry), 7 log maxlen,
--       8 took ms
-- include: _prelude.lua
local id, outcome = ARGV[2], ARGV[3]
local dkey = KEYS[3]
local hook = redis.call('HGET', dkey, 'hook')
if not hook then return cjson.encode({ok = true, gone = true}) end
local attempt = redis.call('HINCRBY', dkey, 'attempts', 1)
local body = cjson.decode(redis.call('HGET', dkey, 'body'))
redis.call('XADD', KEYS[2], 'MAXLEN', '~', tonumber(ARGV[7]), '*', 'delivery', id, 'hook', hook,
  'event', body.event or '', 'broadcast', body.broadcast or '', 'attempt', attempt,
  'outcome', outcome, 'status', ARGV[4], 'error', ARGV[5], 'ms', ARGV[8])
if outcome == 'retry' then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[6]), id)
else
  redis.call('ZREM', KEYS[1], id)
  redis.call('DEL', dkey)
end
return cjson.encode({ok = true, attempt = attempt})
