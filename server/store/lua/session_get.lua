-- Read-only: a live session with its account's current admin flag and role.
-- KEYS: 1 the session   ARGV: 1 account key prefix (xs:{dep}:mod:)
-- Returns {user, csrf, admin, role, dept, otp} or nil (otp '1': the password is
-- a one-time one that must be changed) (no session, no account, or a
-- password version that no longer matches); role is '' for moderators.
local s = redis.call('HMGET', KEYS[1], 'user', 'csrf', 'pwv')
if not s[1] then return false end
local a = redis.call('HMGET', ARGV[1] .. s[1], 'pwv', 'admin', 'role', 'dept', 'otp')
if not a[1] or a[1] ~= s[3] then return false end
return {s[1], s[2], a[2] or '0', a[3] or '', a[4] or '', a[5] or ''}
