"""Every poll figure from one definition: server/domain/poll_figures.py against
tests/golden/figures/*.json (tests/js/poll-figures.test.mjs checks its JS
mirror against the same files), and the figures' own rules stated by hand."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from server.domain.poll_figures import BASIS, figures, pct

CASES = sorted((Path(__file__).resolve().parents[1] / "golden" / "figures").glob("*.json"))


def test_the_cases_cover_every_kind() -> None:
    kinds = {orjson.loads(p.read_bytes())["figures"]["kind"] for p in CASES}
    assert kinds == {"choice", "rating", "ranking", "words"}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_figures(path: Path) -> None:
    case = orjson.loads(path.read_bytes())
    assert figures(case["poll"]) == case["figures"]


def test_multiple_choice_shares_are_of_voters_and_may_pass_100() -> None:
    f = figures({"kind": "choice", "multi": True, "options": ["A", "B"], "tallies": [2, 1],
                 "ballots": 2})  # fmt: skip
    assert [r["pct"] for r in f["rows"]] == [100, 50] and f["basis"] == BASIS
    assert BASIS == {"zh": "占投票人数", "en": "of voters"}


def test_percent_rounds_half_up_in_integers() -> None:
    assert [pct(1, 8), pct(1, 3), pct(2, 3), pct(1, 200), pct(0, 0)] == [13, 33, 67, 1, 0]


def test_rating_average_and_ranking_borda() -> None:
    rating = figures({"kind": "rating", "options": ["1", "2", "3", "4", "5"],
                      "tallies": [0, 0, 1, 0, 1], "ballots": 2,
                      "labels": ["差", "好"]})  # fmt: skip
    assert rating["average"] == "4.0" and rating["labels"] == ["差", "好"]
    ranking = figures({"kind": "ranking", "options": ["甲", "乙", "丙"], "tallies": [1, 4, 1],
                       "ballots": 2})  # fmt: skip
    assert [(r["text"], r["points"], r["place"]) for r in ranking["rows"]] == [
        ("乙", 4, 1),
        ("甲", 1, 2),
        ("丙", 1, 2),
    ]
    assert ranking["max_points"] == 4 and "Borda" in ranking["note"]["en"]
