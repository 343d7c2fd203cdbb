-- Shared helpers of the production scripts: the overlay's layered state (which
-- widgets are on air, the scene they came from, the scenes, the cue) in the
-- hash xs:{b}:overlay, the run-down (list xs:{b}:rundown), and putting a
-- question on air (one on-air question at a time). docs/obs.md, "Scenes".
-- include: _prelude.lua
-- Hash fields: show (the pre-scenes single widget, kept for old pages), poll,
-- layers (comma list of widgets on air), scene (id, '' = none/custom), the
-- cue's cue (1 while something is cued), cue_scene, cue_layers, cue_poll,
-- cue_qid, and rver (the run-down's version). Every value stays short, so the
-- hash keeps its compact encoding; the scenes (JSON list of {id, name,
-- widgets}) are the string xs:{b}:scenes.

-- The scenes a broadcast starts with (docs/obs.md): edited per broadcast.
local DEFAULT_SCENES = {
  {id = 'ask', name = '提问', widgets = {'question', 'likes'}},
  {id = 'vote', name = '投票', widgets = {'poll', 'qr'}},
  {id = 'intro', name = '片头', widgets = {'title', 'qr'}},
  {id = 'empty', name = '空', widgets = {}},
}
-- A broadcast whose overlay was never touched is in this scene: putting a
-- question on air shows it without another click.
local DEFAULT_SCENE = 'ask'
-- What the old single-widget `show` meant, as layers.
local LEGACY_LAYERS = {question = {'question'}, poll = {'poll'}, likes = {'likes', 'viewers'},
  qr = {'qr'}, ticker = {'ticker'}}
-- Old pages read `show`: the widget among the layers they would draw first.
local SHOW_ORDER = {'question', 'poll', 'ticker', 'likes', 'qr'}

local function split_list(s)
  local out = {}
  for item in string.gmatch(s or '', '[^,]+') do out[#out + 1] = item end
  return out
end

local function has(list, value)
  for _, v in ipairs(list) do if v == value then return true end end
  return false
end

local function ov_fields()
  local h = redis.call('HGETALL', P .. 'overlay')
  local f = {}
  for i = 1, #h, 2 do f[h[i]] = h[i + 1] end
  return f
end

local function find_scene(scenes, id)
  for i, s in ipairs(scenes) do if s.id == id then return s, i end end
  return nil
end

-- The state as a table: {layers, scene, scenes, poll, cue}.
local function ov_read()
  local f = ov_fields()
  local scenes = redis.call('GET', P .. 'scenes')
  local st = {scenes = scenes and cjson.decode(scenes) or DEFAULT_SCENES,
    poll = f.poll ~= '' and tonumber(f.poll) or nil, scene = f.scene or ''}
  if f.cue == '1' then
    st.cue = {scene = f.cue_scene ~= '' and f.cue_scene or nil, layers = split_list(f.cue_layers),
      poll = tonumber(f.cue_poll), qid = tonumber(f.cue_qid)}
  end
  if f.layers then
    st.layers = split_list(f.layers)
  elseif f.show then
    st.layers = LEGACY_LAYERS[f.show] or {}
    st.scene = ''
  else
    st.layers = find_scene(st.scenes, DEFAULT_SCENE).widgets
    st.scene = DEFAULT_SCENE
  end
  return st
end

local function ov_show(layers)
  for _, w in ipairs(SHOW_ORDER) do if has(layers, w) then return w end end
  return nil
end

-- The event's (and the snapshot's) shape. Empty lists leave cjson as {}:
-- server/domain/overlay_state.py turns them back into lists.
local function ov_table(st)
  local cue = cjson.null
  if st.cue then
    cue = {scene = nullable(st.cue.scene), layers = st.cue.layers, poll = nullable(st.cue.poll),
      qid = nullable(st.cue.qid)}
  end
  return {show = nullable(ov_show(st.layers)), poll = nullable(st.poll), scene = nullable(st.scene),
    layers = st.layers, scenes = st.scenes, cue = cue}
end

-- Writes the state, marks the poll on screen, appends the overlay event.
local function ov_write(st, maxlen)
  local prev = redis.call('HGET', P .. 'overlay', 'poll')
  local pid = st.poll and tostring(st.poll) or ''
  if prev and prev ~= '' and prev ~= pid then redis.call('HSET', P .. 'p:' .. prev, 'shown', 0) end
  if pid ~= '' then redis.call('HSET', P .. 'p:' .. pid, 'shown', 1) end
  redis.call('HSET', P .. 'overlay', 'show', ov_show(st.layers) or '', 'poll', pid,
    'layers', table.concat(st.layers, ','), 'scene', st.scene or '')
  redis.call('SET', P .. 'scenes', cjson.encode(st.scenes))
  local c = st.cue
  if c then
    redis.call('HSET', P .. 'overlay', 'cue', '1', 'cue_scene', c.scene or '',
      'cue_layers', table.concat(c.layers, ','), 'cue_poll', c.poll or '', 'cue_qid', c.qid or '')
  else
    redis.call('HDEL', P .. 'overlay', 'cue', 'cue_scene', 'cue_layers', 'cue_poll', 'cue_qid')
  end
  local ev = ov_table(st)
  ev.type = 'overlay'
  return emit(ev, maxlen)
end

-- --- the run-down ---------------------------------------------------------------------

local function rd_table()
  local items = {}
  for i, id in ipairs(redis.call('LRANGE', P .. 'rundown', 0, -1)) do items[i] = tonumber(id) end
  return {items = items, ver = tonumber(redis.call('HGET', P .. 'overlay', 'rver') or '0')}
end

-- Bumps the version and appends the run-down event (after any change of it).
local function rd_changed(maxlen)
  redis.call('HINCRBY', P .. 'overlay', 'rver', 1)
  local ev = rd_table()
  ev.type = 'rundown'
  return emit(ev, maxlen)
end

-- A question that leaves the waiting list (on air, answered, rejected...) leaves the run-down.
local function rd_drop(qid, maxlen)
  if redis.call('LREM', P .. 'rundown', 0, qid) > 0 then rd_changed(maxlen) end
end

-- --- a question's status ----------------------------------------------------------------

-- Moves one question to status `to` and appends its question event.
local function q_move(key, id, from, to, now, maxlen)
  redis.call('HSET', key, 'status', to, 'updated', now)
  -- When it last went on air and was last marked answered (the export's
  -- on-air columns, the report's on-air marks); approved_at once, when first public.
  if to == 'on_air' then redis.call('HSET', key, 'onair_at', now) end
  if to == 'answered' then redis.call('HSET', key, 'answered_at', now) end
  if to == 'approved' or to == 'on_air' or to == 'answered' then first_shown(key, now) end
  local created, votes = unpack(redis.call('HMGET', key, 'created', 'votes'))
  index_move(id, from, to, created, votes)
  local q, asker = question_table(key)
  return emit({type = 'question', q = q, asker = asker, prev = from}, maxlen)
end

-- Puts question `qid` (status `cur`) on air: the previous on-air question is
-- answered in the same step. Returns the position and the answered id (or nil).
local function q_on_air(qid, cur, now, maxlen)
  local answered = nil
  local prev = redis.call('GET', P .. 'onair')
  if prev and prev ~= qid then
    local pkey = P .. 'q:' .. prev
    if redis.call('HGET', pkey, 'status') == 'on_air' then
      q_move(pkey, prev, 'on_air', 'answered', now, maxlen)
      answered = tonumber(prev)
    end
  end
  redis.call('SET', P .. 'onair', qid)
  redis.call('HDEL', P .. 'q:' .. qid, 'reason')
  local pos = q_move(P .. 'q:' .. qid, qid, cur, 'on_air', now, maxlen)
  rd_drop(qid, maxlen)
  return pos, answered
end
