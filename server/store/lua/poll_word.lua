-- A moderator hides (or shows again) a word of a word-cloud poll, everywhere at once.
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (xs:{<bid>}:idem:<actor>:<id>)
-- ARGV: 1 key prefix, 2 pid, 3 the word (folded as the cloud folds words: server/domain/wordcloud.py),
--       4 hide ('1'|'0'), 5 idem ttl, 6 maxlen, 7 moderator's user name (audit log)
-- The word joins (leaves) xs:{b}:ph:<pid>; its counts stay, so showing it again restores
-- it. One tally event carries the cloud without it to every surface (viewers who may see
-- results, consoles, overlays); the audit entry is written in the same step.
-- include: _prelude.lua
local pid, word, hide = ARGV[2], ARGV[3], ARGV[4] == '1'
local ttl, maxlen = tonumber(ARGV[5]), tonumber(ARGV[6])
local done = idem_get(KEYS[3])
if done then return done end
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local pkey = P .. 'p:' .. pid
local kind = redis.call('HGET', pkey, 'kind')
if not kind then return idem_put(KEYS[3], err('not_found', 'poll ' .. pid .. ' does not exist'), ttl) end
if kind ~= 'words' then return err('invalid', 'poll ' .. pid .. ' is not a word cloud') end
local changed
if hide then changed = redis.call('SADD', P .. 'ph:' .. pid, word)
else changed = redis.call('SREM', P .. 'ph:' .. pid, word) end
local p = poll_table(pid)
if changed == 0 then
  return idem_put(KEYS[3], cjson.encode({ok = true, poll = tonumber(pid), word = word, hidden = hide,
    changed = false}), ttl)
end
local pos = emit({type = 'tally', pid = tonumber(pid), tallies = p.tallies, ballots = p.ballots,
  results = p.results, state = p.state, hidden = p.hidden, pending = p.pending}, maxlen)
audit(ARGV[7], 'poll.word', 'poll:' .. pid, cjson.encode({word = word, hidden = hide}))
return idem_put(KEYS[3], cjson.encode({ok = true, poll = tonumber(pid), word = word, hidden = hide,
  changed = true, pos = pos}), ttl)
