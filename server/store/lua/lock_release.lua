-- Releases a lock only if this owner still holds it (compare and delete), so
-- a process that stops hands the work to another at once instead of after
-- the lock's expiry, and never deletes a lock another process took since.
-- KEYS: 1 the lock
-- ARGV: 1 the owner's token
-- Returns 1 if released, 0 if the lock was not (or no longer) this owner's.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
