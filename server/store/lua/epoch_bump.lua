-- A hub found the stream behind what it had already seen (Redis restored from an
-- older copy): a new epoch makes every client of every hub take a full snapshot.
-- KEYS: 1 meta, 2 events   ARGV: 1 key prefix, 2 expected old epoch, 3 new epoch
-- include: _prelude.lua
if not broadcast_state() then return '' end  -- deleted: never recreate its epoch
local cur = redis.call('GET', P .. 'epoch')
if cur == ARGV[2] then redis.call('SET', P .. 'epoch', ARGV[3]); return ARGV[3] end
return cur or ''
