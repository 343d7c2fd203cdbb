-- A viewer submits a question.
-- ARGV: 2 vid, 3 text, 4 name, 5 tag ('' = none), 6 fingerprint, 7 idem ttl,
--       8 stream maxlen, 9 bucket burst, 10 bucket refill per minute
local vid, text, name, tag, fp = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local ttl, maxlen = tonumber(ARGV[7]), tonumber(ARGV[8])
local burst, per_min = tonumber(ARGV[9]), tonumber(ARGV[10])

local done = idem_get(KEYS[3])
if done then return done end

local state = broadcast_state()
if not state then return err('not_found', 'no such broadcast') end
if state == 'ended' then
  return idem_put(KEYS[3], err('closed', 'the broadcast has ended; questions are closed'), ttl)
end
if redis.call('SISMEMBER', P .. 'banned', vid) == 1 then
  return idem_put(KEYS[3], err('banned', 'you can no longer ask questions in this broadcast'), ttl)
end
if redis.call('SISMEMBER', P .. 'dup:' .. vid, fp) == 1 then
  return idem_put(KEYS[3], err('duplicate', 'you already asked this question'), ttl)
end

-- Token bucket per viewer, in Redis so a reconnect or another hub process
-- does not reset it. A refusal is not remembered: the same id may pass later.
local now = now_ms()
local bkey = P .. 'rlq:' .. vid
local b = redis.call('HMGET', bkey, 'tokens', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
if now > ts then tokens = math.min(burst, tokens + (now - ts) * per_min / 60000) end
if tokens < 1 then
  local wait_s = math.ceil((1 - tokens) * 60 / per_min)
  return err('rate_limited', 'too many questions; try again in ' .. wait_s .. ' s', {retry_after = wait_s})
end
redis.call('HSET', bkey, 'tokens', tostring(tokens - 1), 'ts', now)
redis.call('PEXPIRE', bkey, math.ceil(burst * 60000 / per_min) + 60000)

local settings = cjson.decode(redis.call('HGET', KEYS[1], 'settings') or '{}')
local status = 'approved'
if settings.moderation ~= false then status = 'pending' end

local qid = redis.call('INCR', P .. 'qseq')
local qkey = P .. 'q:' .. qid
redis.call('HSET', qkey, 'id', qid, 'text', text, 'name', name, 'tag', tag, 'status', status,
  'votes', 0, 'starred', 0, 'created', now, 'updated', now, 'asker', vid, 'fp', fp)
redis.call('ZADD', P .. 'qs:' .. status, now, qid)
redis.call('ZADD', P .. 'mine:' .. vid, now, qid)
redis.call('SADD', P .. 'dup:' .. vid, fp)
local q = question_table(qkey)
local pos = emit({type = 'question', q = q, asker = vid, prev = cjson.null}, maxlen)
return idem_put(KEYS[3], cjson.encode({ok = true, qid = qid, status = status, pos = pos}), ttl)
