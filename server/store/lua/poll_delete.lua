-- A moderator deletes a poll that is still a draft (nobody but moderators saw it).
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (xs:{<bid>}:idem:<actor>:<id>)
-- ARGV: 1 key prefix, 2 pid, 3 deletable states (comma list from the domain: server/domain/poll.py
--       DELETABLE_STATES), 4 idem ttl, 5 maxlen, 6 moderator's user name (audit log)
-- Deletes the poll's hash, tallies and ballots and its entry in the poll index,
-- appends a poll_deleted event (moderators only) and the audit entry. An open or
-- closed poll, or a draft the overlay is set to, is refused with conflict; a
-- resend of the same command id returns the first result.
-- include: _prelude.lua
local pid, deletable = ARGV[2], ARGV[3]
local ttl, maxlen = tonumber(ARGV[4]), tonumber(ARGV[5])
local done = idem_get(KEYS[3])
if done then return done end
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local pkey = P .. 'p:' .. pid
local h = redis.call('HMGET', pkey, 'state', 'question')
local cur, question = h[1], h[2]
if not cur then return idem_put(KEYS[3], err('not_found', 'poll ' .. pid .. ' does not exist'), ttl) end
if not string.find(',' .. deletable .. ',', ',' .. cur .. ',', 1, true) then
  return idem_put(KEYS[3], err('conflict', 'poll ' .. pid .. ' is ' .. cur ..
    '; only a draft poll can be deleted', {current = cur}), ttl)
end
if redis.call('HGET', P .. 'overlay', 'poll') == pid then
  return idem_put(KEYS[3], err('conflict', 'poll ' .. pid ..
    ' is chosen for the overlay; show something else first', {current = cur}), ttl)
end
redis.call('DEL', pkey, P .. 'pt:' .. pid, P .. 'pb:' .. pid, P .. 'pw:' .. pid, P .. 'ph:' .. pid,
  P .. 'pa:' .. pid, P .. 'pav:' .. pid, P .. 'pq:' .. pid)
redis.call('ZREM', P .. 'polls', pid)
local pos = emit({type = 'poll_deleted', poll = tonumber(pid)}, maxlen)
audit(ARGV[6], 'poll.delete', 'poll:' .. pid, cjson.encode({question = question}))
return idem_put(KEYS[3], cjson.encode({ok = true, poll = tonumber(pid), pos = pos}), ttl)
