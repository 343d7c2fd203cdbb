-- A viewer submits a question.
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (xs:{<bid>}:idem:<actor>:<id>)
-- ARGV: 1 key prefix, 2 vid, 3 text, 4 name, 5 tag ('' = none), 6 fingerprint, 7 idem ttl,
--       8 stream maxlen, 9 bucket burst, 10 bucket refill per minute,
--       11 the client address's key (a hash of the IP, '' = not limited),
--       12 address bucket burst, 13 address refill per minute,
--       14 sensitive-word screen ('' = clean, 'hold', 'block'), 15 its flags JSON,
--       16 the broadcast's 查询码 prefix ('' = no code), 17 candidate code suffixes
--       (comma list, random, from the hub): the first one not yet used in this
--       broadcast becomes the question's code (prefix .. suffix), unique in the
--       deployment because the prefix is the broadcast's own (keys.qcode_owner)
-- A held question starts pending even without moderation; a blocked one is
-- stored rejected with reason "blocked" (its asker still sees it, nobody else).
-- include: _prelude.lua
local vid, text, name, tag, fp = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local ttl, maxlen = tonumber(ARGV[7]), tonumber(ARGV[8])
local burst, per_min = tonumber(ARGV[9]), tonumber(ARGV[10])
local ip, ip_burst, ip_per_min = ARGV[11] or '', tonumber(ARGV[12] or '0'), tonumber(ARGV[13] or '0')
local screen, flags = ARGV[14] or '', ARGV[15] or ''
local code_prefix, code_candidates = ARGV[16] or '', ARGV[17] or ''

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

-- Token buckets per viewer and per client address, in Redis so a reconnect or
-- another hub process does not reset them. Both are checked before either is
-- spent. A refusal is not remembered: the same id may pass later.
local now = now_ms()
local function tokens_of(key, size, rate)
  local b = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(b[1]) or size
  local ts = tonumber(b[2]) or now
  if now > ts then tokens = math.min(size, tokens + (now - ts) * rate / 60000) end
  return tokens
end
local function spend(key, tokens, size, rate)
  redis.call('HSET', key, 'tokens', tostring(tokens - 1), 'ts', now)
  redis.call('PEXPIRE', key, math.ceil(size * 60000 / rate) + 60000)
end
local bkey = P .. 'rlq:' .. vid
local tokens = tokens_of(bkey, burst, per_min)
if tokens < 1 then
  local wait_s = math.ceil((1 - tokens) * 60 / per_min)
  return err('rate_limited', 'too many questions; try again in ' .. wait_s .. ' s', {retry_after = wait_s})
end
local ikey, ip_tokens = nil, 0
if ip ~= '' and ip_per_min > 0 then
  ikey = P .. 'rlip:' .. ip
  ip_tokens = tokens_of(ikey, ip_burst, ip_per_min)
  if ip_tokens < 1 then
    local wait_s = math.ceil((1 - ip_tokens) * 60 / ip_per_min)
    return err('rate_limited', 'too many questions from this network; try again in ' .. wait_s ..
      ' s', {retry_after = wait_s})
  end
end
spend(bkey, tokens, burst, per_min)
if ikey then spend(ikey, ip_tokens, ip_burst, ip_per_min) end
note_activity(vid, 1)

local settings = cjson.decode(redis.call('HGET', KEYS[1], 'settings') or '{}')
local status = 'approved'
if settings.moderation ~= false then status = 'pending' end
if screen == 'hold' then status = 'pending' elseif screen == 'block' then status = 'rejected' end

local qid = redis.call('INCR', P .. 'qseq')
local qkey = P .. 'q:' .. qid
redis.call('HSET', qkey, 'id', qid, 'text', text, 'name', name, 'tag', tag, 'status', status,
  'votes', 0, 'starred', 0, 'created', now, 'updated', now, 'asker', vid, 'fp', fp)
if screen == 'block' then redis.call('HSET', qkey, 'reason', 'blocked') end
if flags ~= '' then redis.call('HSET', qkey, 'flags', flags) end
local code = assign_code(qkey, qid, code_prefix, code_candidates)
index_move(qid, nil, status, now, 0)
redis.call('ZADD', P .. 'mine:' .. vid, now, qid)
redis.call('SADD', P .. 'dup:' .. vid, fp)
tl_add('asked', 1, now)
if status == 'approved' then first_shown(qkey, now) end
local q = question_table(qkey)
local pos = emit({type = 'question', q = q, asker = vid, prev = cjson.null}, maxlen)
return idem_put(KEYS[3], cjson.encode({ok = true, qid = qid, status = status, pos = pos,
  code = code}), ttl)
