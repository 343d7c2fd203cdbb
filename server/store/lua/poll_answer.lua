-- A viewer answers a word-cloud poll: one answer per viewer per poll, final.
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (xs:{<bid>}:idem:<actor>:<id>)
-- ARGV: 1 key prefix, 2 vid, 3 pid, 4 the answer (normalised by server/domain/wordcloud.py),
--       5 its words (JSON list, distinct, segmented by the domain), 6 its length in characters,
--       7 sensitive-word screen ('' = clean, 'hold', 'block'), 8 its flags JSON ('' = none),
--       9 idem ttl, 10 maxlen
-- Writes: xs:{b}:pav:<pid> (viewer -> answer id: one per viewer), xs:{b}:pa:<pid> (answer id
-- -> {text, words, status, vid, flags}); a counted answer adds one to each of its words in
-- xs:{b}:pw:<pid> and to the poll's ballots, in this same step, and appends a tally event with
-- the new cloud; a held answer (moderated poll, or a 'hold' word) waits in xs:{b}:pq:<pid>
-- and appends an answer event (moderators only); a blocked one is kept, never counted, and
-- appends nothing. A refusal writes nothing, as in ballot.lua.
-- include: _prelude.lua
local vid, pid, text, words_json = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local length, screen, flags = tonumber(ARGV[6]), ARGV[7], ARGV[8]
local ttl, maxlen = tonumber(ARGV[9]), tonumber(ARGV[10])
local done = idem_get(KEYS[3])
if done then return done end
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local pkey = P .. 'p:' .. pid
local f = redis.call('HMGET', pkey, 'state', 'kind', 'maxlen', 'moderated')
if not f[1] then return err('not_found', 'poll ' .. pid .. ' does not exist') end
if f[2] ~= 'words' then return err('invalid', 'poll ' .. pid .. ' is not a word cloud') end
if f[1] ~= 'open' then return err('closed', 'poll ' .. pid .. ' is not open') end
if length > tonumber(f[3]) then
  return err('too_long', 'the answer is ' .. length .. ' characters long; the limit is ' .. f[3])
end
local mine = redis.call('HGET', P .. 'pav:' .. pid, vid)
if mine then
  local a = cjson.decode(redis.call('HGET', P .. 'pa:' .. pid, mine))
  return err('conflict', 'you already answered this poll', {mine = {a.text}})
end
local aid = redis.call('HINCRBY', pkey, 'aseq', 1)
local status = 'counted'
if screen == 'block' then status = 'blocked'
elseif screen == 'hold' or f[4] == '1' then status = 'pending' end
local words = cjson.decode(words_json)
local now = now_ms()
redis.call('HSET', P .. 'pav:' .. pid, vid, aid)
redis.call('HSET', P .. 'pa:' .. pid, aid, cjson.encode({text = text, words = words, status = status,
  vid = vid, flags = flags ~= '' and cjson.decode(flags) or nil, at = now}))
note_activity(vid, 1)
local pos = cjson.null
if status == 'counted' then
  for _, w in ipairs(words) do redis.call('ZINCRBY', P .. 'pw:' .. pid, 1, w) end
  redis.call('HINCRBY', pkey, 'ballots', 1)
  tl_add('votes', 1, now)
  local p = poll_table(pid)
  pos = emit({type = 'tally', pid = tonumber(pid), tallies = p.tallies, ballots = p.ballots,
    voter = vid, choices = {text}, results = p.results, state = p.state, hidden = p.hidden,
    pending = p.pending}, maxlen)
  return idem_put(KEYS[3], cjson.encode({ok = true, poll = tonumber(pid), status = status,
    tallies = p.tallies, ballots = p.ballots, results = p.results, mine = {text}, pos = pos}), ttl)
end
if status == 'pending' then
  redis.call('ZADD', P .. 'pq:' .. pid, now, aid)
  pos = emit({type = 'answer', pid = tonumber(pid), answer = {id = aid, text = text,
    flags = flags ~= '' and cjson.decode(flags) or cjson.null}, status = status,
    pending = redis.call('ZCARD', P .. 'pq:' .. pid)}, maxlen)
end
return idem_put(KEYS[3], cjson.encode({ok = true, poll = tonumber(pid), status = status,
  mine = {text}, pos = pos}), ttl)
