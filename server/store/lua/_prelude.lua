-- Shared helpers of the broadcast scripts (each names it with the include
-- line below; server/store/scripts.py prepends it).
-- include: _audit.lua
-- Contract of every write script: KEYS[1] = the broadcast's meta hash (declares
-- the slot), KEYS[2] = its event stream, KEYS[3] = the command's idempotency
-- key (or the broadcast meta again when the write has none). ARGV[1] = the key
-- prefix "xs:{<bid>}:" so item keys (q:<id>...) are built in the same slot.
-- Results are JSON strings: {"ok":true,...} or {"err":code,"msg":text,...}.

local P = ARGV[1]

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Returns the stored result of an already applied command, or nil.
local function idem_get(key)
  if key == KEYS[1] then return nil end
  return redis.call('GET', key)
end

-- Remembers a result so a resend of the same command id returns it unchanged.
local function idem_put(key, result, ttl)
  if key ~= KEYS[1] then redis.call('SET', key, result, 'EX', ttl) end
  return result
end

local function err(code, msg, extra)
  local r = extra or {}
  r['err'] = code
  r['msg'] = msg
  return cjson.encode(r)
end

-- cjson cannot tell an empty list from an empty object, so the stored settings
-- JSON (which may hold "tags":[]) is spliced in verbatim instead of re-encoded.
local function with_settings(json)
  local raw = redis.call('HGET', KEYS[1], 'settings') or '{}'
  return (string.gsub(json, '"\\u0000settings\\u0000"', function() return raw end))
end

-- Appends one event (a Lua table) to the stream, trimmed approximately.
local function emit(event, maxlen)
  local json = cjson.encode(event)
  if event.type == 'broadcast' then json = with_settings(json) end
  return redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxlen, '*', 'e', json)
end

local function nullable(v)
  if v == false or v == nil or v == '' then return cjson.null end
  return v
end

-- A question hash as the event/snapshot table (private asker kept; the hub's
-- projection strips it per role).
local function question_table(qkey)
  local h = redis.call('HGETALL', qkey)
  if #h == 0 then return nil end
  local f = {}
  for i = 1, #h, 2 do f[h[i]] = h[i + 1] end
  return {
    id = tonumber(f.id), text = f.text, name = f.name, tag = nullable(f.tag),
    status = f.status, votes = tonumber(f.votes or '0'), starred = f.starred == '1',
    created = tonumber(f.created), updated = tonumber(f.updated),
    edited = f.orig ~= nil, reason = nullable(f.reason),
    merged_into = nullable(f.merged_into and tonumber(f.merged_into)),
    -- What the sensitive-word screen found (moderators only: projection's
    -- allow-lists keep it from viewers and the overlay).
    flags = nullable(f.flags and cjson.decode(f.flags)),
    -- Where a question entered by a moderator came from (absent: the phone
    -- page), and the links of a question carried between episodes: absent
    -- keys, not nulls, so questions without them look as they always did.
    source = f.source, carried_from = f.carried_from, carried_to = f.carried_to,
  }, f.asker
end

-- A question's place in its status's two orders (keys.py: q_status, q_top):
-- `qs:<status>` by the time asked, `qtop:<status>` by votes (score = votes *
-- TOP_SPAN + id: unique, ties to the newer question when read from the top).
-- Every script that changes a status or a vote count goes through these two.
local TOP_SPAN = 4194304
local function top_score(id, votes)
  return (tonumber(votes) or 0) * TOP_SPAN + tonumber(id)
end

local function index_move(id, from, to, created, votes)
  if from then
    redis.call('ZREM', P .. 'qs:' .. from, id)
    redis.call('ZREM', P .. 'qtop:' .. from, id)
  end
  if to then
    redis.call('ZADD', P .. 'qs:' .. to, created, id)
    redis.call('ZADD', P .. 'qtop:' .. to, top_score(id, votes), id)
  end
end

local function index_votes(id, status, votes)
  redis.call('ZADD', P .. 'qtop:' .. status, 'XX', top_score(id, votes), id)
end

-- The broadcast's state, or nil when it does not exist or is being deleted
-- (bc_delete.lua): every script then refuses with not_found.
local function broadcast_state()
  local h = redis.call('HMGET', KEYS[1], 'state', 'deleting')
  if h[2] == '1' then return nil end
  return h[1] or nil
end

-- A word-cloud poll's cloud: the CLOUD_TOP_N most frequent words not hidden,
-- as {word, answers} pairs (server/domain/poll_kinds.py CLOUD_TOP_N; the
-- store's tests check both agree), and the hidden words.
local CLOUD_TOP_N = 50
local function poll_cloud(pid)
  local hidden = redis.call('SMEMBERS', P .. 'ph:' .. pid)
  local hide = {}
  for _, w in ipairs(hidden) do hide[w] = true end
  local raw = redis.call('ZREVRANGE', P .. 'pw:' .. pid, 0, CLOUD_TOP_N + #hidden - 1, 'WITHSCORES')
  local out = {}
  for i = 1, #raw, 2 do
    if not hide[raw[i]] and #out < CLOUD_TOP_N then out[#out + 1] = {raw[i], tonumber(raw[i + 1])} end
  end
  table.sort(hidden)
  return out, hidden
end

-- Pending answers of a moderated word cloud, oldest first (moderators only:
-- server/domain/poll_shape.py strips them for everyone else).
local REVIEW_QUEUE_MAX = 100
local function poll_queue(pid)
  local q = {}
  for _, aid in ipairs(redis.call('ZRANGE', P .. 'pq:' .. pid, 0, REVIEW_QUEUE_MAX - 1)) do
    local a = redis.call('HGET', P .. 'pa:' .. pid, aid)
    if a then
      local d = cjson.decode(a)
      q[#q + 1] = {id = tonumber(aid), text = d.text, flags = d.flags or cjson.null}
    end
  end
  return q
end

local function poll_table(pid)
  local h = redis.call('HGETALL', P .. 'p:' .. pid)
  if #h == 0 then return nil end
  local f = {}
  for i = 1, #h, 2 do f[h[i]] = h[i + 1] end
  local n = tonumber(f.n)
  local kind = f.kind or 'choice'
  local t = {}
  local out = {
    id = tonumber(f.id), question = f.question, options = cjson.decode(f.options),
    multi = f.multi == '1', results = f.results, state = f.state, tallies = t,
    ballots = tonumber(f.ballots or '0'), created = tonumber(f.created), shown = f.shown == '1',
    kind = kind,
  }
  if kind == 'words' then
    -- A cloud's tallies are its {word, answers} pairs.
    local hidden
    out.tallies, hidden = poll_cloud(pid)
    out.hidden, out.queue = hidden, poll_queue(pid)
    out.pending = redis.call('ZCARD', P .. 'pq:' .. pid)
    out.maxlen, out.moderated = tonumber(f.maxlen), f.moderated == '1'
    return out
  end
  local raw = redis.call('HGETALL', P .. 'pt:' .. pid)
  for i = 1, n do t[i] = 0 end
  for i = 1, #raw, 2 do t[tonumber(raw[i]) + 1] = tonumber(raw[i + 1]) end
  if f.labels then out.labels = cjson.decode(f.labels) end
  return out
end

local function broadcast_table()
  local h = redis.call('HGETALL', KEYS[1])
  if #h == 0 then return nil end
  local f = {}
  for i = 1, #h, 2 do f[h[i]] = h[i + 1] end
  return {
    id = f.id, title = f.title, topic = f.topic, state = f.state,
    settings = '\0settings\0', created = tonumber(f.created),
    scheduled = nullable(f.scheduled and tonumber(f.scheduled)),
    rehearsal = f.rehearsal == '1',
  }
end

-- redis.call(cmd, key, ARGV[from..]) in chunks: unpack() of thousands of values
-- would overflow Lua's C stack. Chunks hold an even count (field/value pairs).
local function call_chunked(cmd, key, from)
  local i = from
  while i <= #ARGV do
    local j = math.min(i + 999, #ARGV)
    redis.call(cmd, key, unpack(ARGV, i, j))
    i = j + 1
  end
end

-- Appends one moderator action to the broadcast's audit log, in the same
-- script as the change it records (so the log and the state never disagree).
-- user: the moderator's user name; action, target, detail: as audit_append().
-- user '' marks a write the hub made itself on a moderator's behalf (the
-- rehearsal fill, recorded once as 'rehearsal.fill'): not recorded again.
local function audit(user, action, target, detail)
  if user == nil or user == '' then return end
  audit_append(P .. 'audit', user, action, target, detail)
end

-- Gives a new question its 查询码: the broadcast's prefix and the first of the
-- candidate suffixes (comma list, random, from the hub) not yet used in this
-- broadcast (xs:{b}:codes). Returns the code, or nil without a prefix.
local function assign_code(qkey, qid, code_prefix, candidates)
  if code_prefix == '' then return nil end
  for suffix in string.gmatch(candidates, '[^,]+') do
    if redis.call('HSETNX', P .. 'codes', suffix, qid) == 1 then
      redis.call('HSET', qkey, 'code', code_prefix .. suffix)
      return code_prefix .. suffix
    end
  end
  return nil
end

-- Per-minute figures of the broadcast, counted inside the write that causes
-- them (so a figure and its change are one atomic step and cost no extra round
-- trip): hash xs:{b}:tl:<metric>, field = minutes since the Unix epoch. The
-- definitions live in server/domain/report.py (TIMELINE_METRICS). Bounded: at
-- most TIMELINE_MINUTES distinct minutes per metric (14 days of a broadcast
-- that was never ended); past that, new minutes are not recorded.
local TIMELINE_MINUTES = 20160
local function tl_field(metric, now)
  local key = P .. 'tl:' .. metric
  local minute = math.floor(now / 60000)
  if redis.call('HEXISTS', key, minute) == 0 and redis.call('HLEN', key) >= TIMELINE_MINUTES then
    return nil
  end
  return key, minute
end

local function tl_add(metric, n, now)
  if n == 0 then return end
  local key, minute = tl_field(metric, now)
  if key then redis.call('HINCRBY', key, minute, n) end
end

-- Keeps the highest value seen during the minute (concurrent viewers).
local function tl_max(metric, v, now)
  local key, minute = tl_field(metric, now)
  if key and tonumber(redis.call('HGET', key, minute) or '-1') < v then
    redis.call('HSET', key, minute, v)
  end
end

-- A question became public for the first time (approved by a moderator, or
-- asked in a broadcast without moderation): stamped once, counted once.
local function first_shown(qkey, now)
  if redis.call('HSETNX', qkey, 'approved_at', now) == 1 then tl_add('approved', 1, now) end
end

-- One viewer's budget of upvotes and ballots (docs/reliability.md 30): a token
-- bucket in Redis (xs:{b}:rlv:<vid>), so a reconnect or another hub process
-- does not refill it. Takes one token and returns nil, or returns the seconds
-- until the next token when the budget is spent (nothing is written then).
-- The key expires once the bucket would be full again.
local function viewer_budget(vid, size, per_min)
  local key = P .. 'rlv:' .. vid
  local now = now_ms()
  local b = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(b[1]) or size
  local ts = tonumber(b[2]) or now
  if now > ts then tokens = math.min(size, tokens + (now - ts) * per_min / 60000) end
  if tokens < 1 then return math.ceil((1 - tokens) * 60 / per_min) end
  redis.call('HSET', key, 'tokens', tostring(tokens - 1), 'ts', now)
  redis.call('PEXPIRE', key, math.ceil(size * 60000 / per_min) + 1000)
  return nil
end

-- Counts a viewer's actions per minute (xs:{b}:act:<minute>, vid -> count,
-- kept ACTIVITY_KEEP_S) so moderators can find, by pseudonym, the most active
-- viewers of the last minutes, including those who never asked a question.
local ACTIVITY_KEEP_S = 900
local function note_activity(vid, n)
  local key = P .. 'act:' .. math.floor(now_ms() / 60000)
  redis.call('ZINCRBY', key, n, vid)
  redis.call('EXPIRE', key, ACTIVITY_KEEP_S)
end
