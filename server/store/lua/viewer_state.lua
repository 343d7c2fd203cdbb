-- Read-only: what is personal to one viewer (own questions in any status, own
-- upvotes, own ballots), added to the shared viewer snapshot.
-- KEYS: 1 meta, 2 events   ARGV: 1 key prefix, 2 vid, 3 max own questions
-- include: _prelude.lua
local vid = ARGV[2]
local mine = {}
for _, id in ipairs(redis.call('ZRANGE', P .. 'mine:' .. vid, -tonumber(ARGV[3]), -1)) do
  local q = question_table(P .. 'q:' .. id)
  if q then mine[#mine + 1] = q end
end
local votes = {}
for _, id in ipairs(redis.call('SMEMBERS', P .. 'myv:' .. vid)) do votes[#votes + 1] = tonumber(id) end
local ballots = {}
for _, pid in ipairs(redis.call('ZRANGE', P .. 'polls', 0, -1)) do
  local c = redis.call('HGET', P .. 'pb:' .. pid, vid)
  if c then ballots[#ballots + 1] = {poll = tonumber(pid), mine = cjson.decode(c)} end
  -- A word-cloud answer (poll_answer.lua) is this viewer's ballot: {its text}.
  local aid = redis.call('HGET', P .. 'pav:' .. pid, vid)
  if aid then
    local a = cjson.decode(redis.call('HGET', P .. 'pa:' .. pid, aid))
    ballots[#ballots + 1] = {poll = tonumber(pid), mine = {a.text}}
  end
end
local banned = redis.call('SISMEMBER', P .. 'banned', vid) == 1
return cjson.encode({mine = mine, myvotes = votes, ballots = ballots, banned = banned})
