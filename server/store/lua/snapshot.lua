-- Read-only: the whole state of a broadcast as one consistent view, with the
-- stream position it corresponds to (events after `pos` are not in it).
-- KEYS: 1 meta, 2 events
-- ARGV: 1 key prefix, 2 'viewer' | 'moderator', 3 max questions per status,
--       4.. the statuses this mode sees, in order (from the domain: the public
--       statuses for viewers, every status for moderators)
-- include: _overlay.lua
local b = broadcast_table()
if not b then return cjson.encode({missing = true}) end
local limit = tonumber(ARGV[3])
local questions = {}
for i = 4, #ARGV do
  local st = ARGV[i]
  for _, id in ipairs(redis.call('ZRANGE', P .. 'qs:' .. st, -limit, -1)) do
    local q, asker = question_table(P .. 'q:' .. id)
    if q then questions[#questions + 1] = {q = q, asker = asker} end
  end
end
local polls = {}
for _, pid in ipairs(redis.call('ZRANGE', P .. 'polls', 0, -1)) do
  polls[#polls + 1] = poll_table(pid)
end
local on_air = cjson.null
local oid = redis.call('GET', P .. 'onair')
if oid then on_air = question_table(P .. 'q:' .. oid) or cjson.null end
local pr = redis.call('HMGET', P .. 'presence', '_last')
local presence = {now = 0, peak = 0, unique = 0}
if pr[1] then
  local n, pk, u = string.match(pr[1], '^(%d+):(%d+):(%d+)$')
  presence = {now = tonumber(n), peak = tonumber(pk), unique = tonumber(u)}
end
-- Banned viewers (moderators only), by id here: the hub turns ids into
-- pseudonyms. qid: the question they were banned by.
local banned = {}
if ARGV[2] == 'moderator' then
  for _, vid in ipairs(redis.call('SMEMBERS', P .. 'banned')) do
    local by = redis.call('HGET', P .. 'banq', vid)
    banned[#banned + 1] = {vid = vid, qid = nullable(by and tonumber(by))}
  end
end
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
return with_settings(cjson.encode({
  broadcast = b, epoch = redis.call('GET', P .. 'epoch') or '',
  questions = questions, polls = polls, on_air = on_air, presence = presence, banned = banned,
  likes = tonumber(redis.call('GET', P .. 'likes') or '0'),
  overlay = ov_table(ov_read()), rundown = rd_table(),
  pos = (last[1] and last[1][1]) or '0-0', first = (first[1] and first[1][1]) or cjson.null,
}))
