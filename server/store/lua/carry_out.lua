-- Carrying a question not answered in this episode into a later one of the
-- season, the source side. Two steps in this broadcast's slot around the
-- target's carry_in.lua (another slot), each idempotent, so a retried carry
-- completes: 'reserve' marks the question carried_to = "<target bid>" (another
-- target is a conflict) and returns what the target needs; 'link' records
-- carried_to = "<target bid>:<new qid>" and appends the event and the audit entry.
-- KEYS: 1 meta, 2 events, 3 meta (no idempotency key: each step is idempotent)
-- ARGV: 2 user, 3 step, 4 qid, 5 target bid, 6 new qid (link), 7 stream maxlen
-- include: _prelude.lua
local user, step, qid, target = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local qkey = P .. 'q:' .. qid
local h = redis.call('HGETALL', qkey)
if #h == 0 then return err('not_found', 'question ' .. qid .. ' does not exist') end
local q = {}
for i = 1, #h, 2 do q[h[i]] = h[i + 1] end
local to = q.carried_to or ''
local to_bid = string.match(to, '^([^:]+)') or ''
if to ~= '' and to_bid ~= target then
  return err('conflict', 'question ' .. qid .. ' was carried to ' .. to_bid, {current = to})
end
if step == 'reserve' then
  if to == '' then
    local state = redis.call('HGET', P .. 'fu:' .. qid, 'state') or 'none'
    local open = q.status == 'pending' or q.status == 'approved' or q.status == 'on_air'
    if not open or (state ~= 'none' and state ~= 'to_assign') then
      return err('conflict', 'question ' .. qid .. ' is ' .. q.status .. ' / ' .. state ..
        '; only an unanswered, untriaged question is carried', {current = q.status})
    end
    redis.call('HSET', qkey, 'carried_to', target)
  end
  return cjson.encode({ok = true, text = q.text, name = q.name, tag = q.tag or '',
    source = q.source or '', asker = q.asker or '', created = tonumber(q.created),
    supporters = redis.call('SMEMBERS', P .. 'qv:' .. qid)})
end
local link = target .. ':' .. ARGV[6]
if to == link then return cjson.encode({ok = true, changed = false}) end
redis.call('HSET', qkey, 'carried_to', link, 'updated', now_ms())
local qt, asker = question_table(qkey)
local pos = emit({type = 'question', q = qt, asker = asker, prev = q.status}, tonumber(ARGV[7]))
audit(user, 'q.carry', 'q:' .. qid, cjson.encode({to = link}))
return cjson.encode({ok = true, changed = true, pos = pos})
