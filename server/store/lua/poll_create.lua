-- A moderator creates a poll (in draft).
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (xs:{<bid>}:idem:<actor>:<id>)
-- ARGV: 1 key prefix, 2 question, 3 options (JSON list), 4 multi ('1'|'0'), 5 results, 6 idem ttl, 7 maxlen,
--       8 moderator's user name (audit log), 9 kind (choice|rating|ranking|words; server/domain/poll_kinds.py),
--       10 rating: the scale's end labels (JSON pair, '' = none), 11 words: the answer's length limit
--       ('' = not a word cloud), 12 words: moderated ('1'|'0')
-- A rating's options are its points "1".."N"; a word cloud has none (its tallies are its words).
-- include: _prelude.lua
local ttl, maxlen = tonumber(ARGV[6]), tonumber(ARGV[7])
local done = idem_get(KEYS[3])
if done then return done end
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local now = now_ms()
local pid = redis.call('INCR', P .. 'pseq')
local options = cjson.decode(ARGV[3])
redis.call('HSET', P .. 'p:' .. pid, 'id', pid, 'question', ARGV[2], 'options', ARGV[3],
  'n', #options, 'multi', ARGV[4], 'results', ARGV[5], 'state', 'draft', 'ballots', 0,
  'created', now, 'shown', 0, 'kind', ARGV[9] or 'choice')
if (ARGV[10] or '') ~= '' then redis.call('HSET', P .. 'p:' .. pid, 'labels', ARGV[10]) end
if (ARGV[11] or '') ~= '' then
  redis.call('HSET', P .. 'p:' .. pid, 'maxlen', ARGV[11], 'moderated', ARGV[12])
end
redis.call('ZADD', P .. 'polls', now, pid)
local pos = emit({type = 'poll', poll = poll_table(pid)}, maxlen)
audit(ARGV[8], 'poll.create', 'poll:' .. pid, cjson.encode({question = ARGV[2], options = options,
  multi = ARGV[4] == '1', results = ARGV[5], kind = ARGV[9] or 'choice'}))
return idem_put(KEYS[3], cjson.encode({ok = true, poll = pid, pos = pos}), ttl)
