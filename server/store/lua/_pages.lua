-- Pages of questions in one order over one or more statuses, by the two
-- indexes of each status (keys.py: by_status, by_votes). Orders:
--   'top': votes, then the newer (qtop:<status>, unique scores);
--   'new': newest asked first, 'old': oldest asked first (qs:<status>, score
--          = created ms; questions asked in the same ms are ordered by id).
-- A cursor is the last item's "<score>:<id>"; the next page holds what comes
-- strictly after it, so paging from nil to the end reaches every question
-- that stays in those statuses meanwhile, once (docs/protocol.md, "Paging").
-- Cost: O(statuses * (log N + n)), whatever the number of questions N.
-- include: _prelude.lua

-- qtop:<status> came after qs:<status>: a broadcast written before it has it
-- built here once (every write keeps both from then on).
local function ensure_top(st)
  local top, by = P .. 'qtop:' .. st, P .. 'qs:' .. st
  if redis.call('ZCARD', top) == redis.call('ZCARD', by) then return end
  redis.call('DEL', top)
  for _, id in ipairs(redis.call('ZRANGE', by, 0, -1)) do
    redis.call('ZADD', top, top_score(id, redis.call('HGET', P .. 'q:' .. id, 'votes')), id)
  end
end

-- Up to n (score, id) pairs of one status after the cursor (cs, cid), in order.
local function page_rows(st, order, cs, cid, n)
  local rows
  if order == 'top' then
    ensure_top(st)
    local key = P .. 'qtop:' .. st
    if cs then
      rows = redis.call('ZREVRANGEBYSCORE', key, '(' .. cs, '-inf', 'WITHSCORES', 'LIMIT', 0, n)
    else
      rows = redis.call('ZREVRANGE', key, 0, n - 1, 'WITHSCORES')
    end
  else
    local key = P .. 'qs:' .. st
    -- Questions asked in the cursor's ms come first in the range: fetch them
    -- too and keep those past the cursor's id.
    local ties = cs and redis.call('ZCOUNT', key, cs, cs) or 0
    if order == 'new' then
      if cs then
        rows = redis.call('ZREVRANGEBYSCORE', key, cs, '-inf', 'WITHSCORES', 'LIMIT', 0, n + ties)
      else
        rows = redis.call('ZREVRANGE', key, 0, n - 1, 'WITHSCORES')
      end
    elseif cs then
      rows = redis.call('ZRANGEBYSCORE', key, cs, '+inf', 'WITHSCORES', 'LIMIT', 0, n + ties)
    else
      rows = redis.call('ZRANGE', key, 0, n - 1, 'WITHSCORES')
    end
  end
  -- Redis orders a millisecond's questions by member text ("10" < "9"): a
  -- window that ends inside such a group gets the whole group, so the caller's
  -- order by (score, id) never skips one.
  if order ~= 'top' and #rows > 0 then
    local key, last = P .. 'qs:' .. st, rows[#rows]
    local group = redis.call('ZRANGEBYSCORE', key, last, last, 'WITHSCORES')
    if #group > 2 then
      local known = {}
      for i = 1, #rows, 2 do known[rows[i]] = true end
      for i = 1, #group, 2 do
        if not known[group[i]] then
          rows[#rows + 1] = group[i]
          rows[#rows + 1] = group[i + 1]
        end
      end
    end
  end
  local out = {}
  local csn = cs and tonumber(cs)
  for i = 1, #rows, 2 do
    local id, s = tonumber(rows[i]), tonumber(rows[i + 1])
    local keep = true
    if csn and order ~= 'top' and s == csn then
      keep = (order == 'new' and id < cid) or (order == 'old' and id > cid)
    end
    if keep then out[#out + 1] = {s = s, id = id} end
  end
  return out
end

-- One page: ({{q=, asker=}, ...}, next cursor or cjson.null).
local function question_page(statuses, order, cursor, n)
  local cs, cid = nil, nil
  if cursor and cursor ~= '' then
    local a, b = string.match(cursor, '^(%d+):(%d+)$')
    if a then cs, cid = a, tonumber(b) end
  end
  local all = {}
  for _, st in ipairs(statuses) do
    for _, row in ipairs(page_rows(st, order, cs, cid, n + 1)) do all[#all + 1] = row end
  end
  if order == 'old' then
    table.sort(all, function(x, y) return x.s < y.s or (x.s == y.s and x.id < y.id) end)
  else
    table.sort(all, function(x, y) return x.s > y.s or (x.s == y.s and x.id > y.id) end)
  end
  local items = {}
  for i = 1, math.min(n, #all) do
    local q, asker = question_table(P .. 'q:' .. all[i].id)
    if q then items[#items + 1] = {q = q, asker = asker} end
  end
  local next_cursor = cjson.null
  if #all > n then next_cursor = string.format('%.0f:%d', all[n].s, all[n].id) end
  return items, next_cursor
end

local function split_commas(s)
  local out = {}
  for part in string.gmatch(s, '[^,]+') do out[#out + 1] = part end
  return out
end
