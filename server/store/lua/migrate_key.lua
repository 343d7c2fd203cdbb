-- Renames one deployment-wide key from its untagged name to its name under the
-- deployment's hash tag (server/store/migrate.py), atomically and once.
-- KEYS: 1 the old name, 2 the new name   ARGV: none
-- Returns 1 renamed, 0 nothing to do (no old key), -1 both exist (left alone:
-- the new one was written by a newer process meanwhile; the caller logs it).
-- Runs on a single Redis only: the two names are in different slots.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
redis.call('RENAME', KEYS[1], KEYS[2])
return 1
