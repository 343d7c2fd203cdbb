-- Read: one page of questions (the `questions.page` command, docs/protocol.md
-- "Paging"), in one order over the statuses of one list, after a cursor.
-- KEYS: 1 meta
-- ARGV: 1 key prefix, 2 order ('top' | 'new' | 'old'), 3 cursor ('' = from
--       the start), 4 page size, 5 the list's statuses (comma list)
-- include: _pages.lua
if redis.call('EXISTS', KEYS[1]) == 0 then return cjson.encode({missing = true}) end
local items, next_cursor = question_page(split_commas(ARGV[5]), ARGV[2], ARGV[3], tonumber(ARGV[4]))
return cjson.encode({questions = items, next = next_cursor})
