-- The audit logs' one writer: the broadcast's (xs:{<bid>}:audit, through
-- audit() in _prelude.lua) and the deployment's (xs:{dep}:audit). Both are capped
-- far above what a deployment writes in years, and are not the event stream:
-- trimming events never loses a record. This is the only copy of the cap.
local AUDIT_MAXLEN = 200000

-- key: the log (declared in KEYS by deployment scripts); user: who did it;
-- action: the command type ('q.status', 'moderator.add'...); target: what it
-- acted on ('q:17', 'moderator:li'...); detail: a JSON string.
local function audit_append(key, user, action, target, detail)
  redis.call('XADD', key, 'MAXLEN', '~', AUDIT_MAXLEN, '*',
    'user', user, 'action', action, 'target', target or '', 'detail', detail or '{}')
end
