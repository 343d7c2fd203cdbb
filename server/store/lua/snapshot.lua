-- Read-only: the state of a broadcast as one consistent view, with the
-- stream position it corresponds to (events after `pos` are not in it). Its
-- questions are the first screen only, whatever their number: the first page
-- of each of the mode's lists (docs/protocol.md, "Paging"); `more` holds each
-- list's cursor for the next page (null: nothing more), `total` each list's
-- count. (The only write: the votes index built once for older data, _pages.lua.)
-- KEYS: 1 meta, 2 events
-- ARGV: 1 key prefix, 2 'viewer' | 'moderator', 3 page size, 4 the public
--       statuses (comma list), 5.. the mode's first-screen lists, each
--       "<list>.<order>" where <list> is 'public' or one status (from the domain)
-- include: _pages.lua
-- include: _overlay.lua
local b = broadcast_table()
if not b then return cjson.encode({missing = true}) end
local limit = tonumber(ARGV[3])
local public = split_commas(ARGV[4])
local questions, seen, more, total = {}, {}, {}, {}
for i = 5, #ARGV do
  local list, order = string.match(ARGV[i], '^([%w_]+)%.(%a+)$')
  local statuses = list == 'public' and public or {list}
  local items, next_cursor = question_page(statuses, order, nil, limit)
  for _, item in ipairs(items) do
    if not seen[item.q.id] then
      seen[item.q.id] = true
      questions[#questions + 1] = item
    end
  end
  more[ARGV[i]] = next_cursor
  if total[list] == nil then
    local n = 0
    for _, st in ipairs(statuses) do n = n + redis.call('ZCARD', P .. 'qs:' .. st) end
    total[list] = n
  end
end
-- The run-down's questions (_overlay.lua) come with the first screen wherever
-- they rank: the console draws the whole list, the host view (viewer mode)
-- the next three.
local rundown = rd_table()
local wanted = ARGV[2] == 'moderator' and #rundown.items or math.min(3, #rundown.items)
for i = 1, wanted do
  local id = rundown.items[i]
  if not seen[id] then
    local q, asker = question_table(P .. 'q:' .. id)
    if q and (ARGV[2] == 'moderator' or q.status == 'approved') then
      seen[id] = true
      questions[#questions + 1] = {q = q, asker = asker}
    end
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
  questions = questions, more = more, total = total, polls = polls, on_air = on_air, presence = presence, banned = banned,
  likes = tonumber(redis.call('GET', P .. 'likes') or '0'),
  overlay = ov_table(ov_read()), rundown = rundown,
  pos = (last[1] and last[1][1]) or '0-0', first = (first[1] and first[1][1]) or cjson.null,
}))
