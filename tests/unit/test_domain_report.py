"""The record's figure definitions (server/domain/report.py)."""

from __future__ import annotations

import re
from pathlib import Path

from server.domain import report
from server.domain.report import MINUTE_MS, followup_figures, question_figures, timeline

PRELUDE = Path(__file__).resolve().parents[2] / "server" / "store" / "lua" / "_prelude.lua"


def test_timeline_bound_agrees_with_the_lua_prelude() -> None:
    found = re.search(r"local TIMELINE_MINUTES = (\d+)", PRELUDE.read_text("utf-8"))
    assert found is not None and int(found.group(1)) == report.TIMELINE_MINUTES


def test_timeline_fills_gaps_and_maps_asked_to_questions() -> None:
    raw = {"viewers": {100: 5, 103: 2}, "asked": {101: 3}, "likes": {103: 9}}
    line = timeline(raw)
    assert [m.t for m in line] == [m * MINUTE_MS for m in (100, 101, 102, 103)]
    assert [m.viewers for m in line] == [5, 0, 0, 2]
    assert [m.questions for m in line] == [0, 3, 0, 0]
    assert line[3].to_dict()["likes"] == 9
    assert timeline({}) == []
    assert report.peak(line) == (5, 100 * MINUTE_MS)
    assert report.peak([]) == (0, None)


def test_timeline_keeps_the_last_minutes_only() -> None:
    line = timeline({"asked": {0: 1, report.TIMELINE_MINUTES + 5: 1}})
    assert len(line) == report.TIMELINE_MINUTES
    assert line[-1].questions == 1 and line[0].questions == 0


def test_question_figures() -> None:
    rows = [
        ({"status": "pending"}, None),
        ({"status": "approved", "approved_at": 1}, None),
        ({"status": "answered", "approved_at": 2}, {"state": "assigned"}),
        ({"status": "on_air"}, None),  # public without the stamp: shown
        ({"status": "rejected", "approved_at": 3}, {"state": "replied", "rating": "satisfied"}),
        ({"status": "approved"}, {"state": "answered_live"}),
        ({"status": "merged"}, None),
        ({"status": "rejected"}, {"state": "published", "rating": "dissatisfied"}),
    ]
    fig = question_figures(rows).to_dict()
    assert fig == {
        # replied: published (or closed) replies only, as the follow-up counts them
        # (server/domain/followup_figures.py); a reply under review is not yet one.
        "received": 8, "approved": 5, "answered_live": 3, "forwarded": 3, "replied": 1,
        "rejected": 2, "merged": 1, "pending": 1,
    }  # fmt: skip


def test_rates_are_none_without_a_denominator() -> None:
    assert followup_figures([])["reply_rate"] is None
    assert followup_figures([])["satisfaction"] is None
    records = [
        {"state": "assigned"},
        {"state": "closed", "rating": "basically"},
        {"state": "published", "rating": "dissatisfied"},
        {"state": "to_assign"},
    ]
    fig = followup_figures([({"status": "answered"}, r) for r in records])
    # Rates rounded to 4 decimals, as everywhere the follow-up figures show.
    assert fig["reply_rate"] == 0.6667 and fig["satisfaction"] == 0.5


def test_poll_figures_and_counts() -> None:
    poll = {"id": 1, "question": "好吗", "options": ["好", "不好"], "tallies": [3, 1],
            "ballots": 4, "state": "closed"}  # fmt: skip
    fig = report.poll_figures(poll)
    assert [o["share"] for o in fig["options"]] == [0.75, 0.25]
    empty = report.poll_figures({**poll, "tallies": [0, 0], "ballots": 0})
    assert empty["options"][0]["share"] is None
    tally = report.Tally()
    for q in ({"tag": "交通"}, {"tag": "教育", "source": "hotline"}, {"tag": "交通"}, {}):
        tally.add(q, None)
    assert tally.by_tag == {"交通": 2, "教育": 1, "未分类": 1}
    assert tally.by_source == {"phone": 3, "hotline": 1}
    assert report.season_line(9, 140000, 600000) == "9期节目，140000人次观看，600000次点赞"
