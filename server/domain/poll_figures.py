"""One definition of every poll figure, whatever surface shows it.

The phone, the console, the overlay and the exports all draw a poll's results
from ``figures(poll)`` here or from its mirror ``static/js/shared/poll-figures.js``;
both are checked against the same cases (``tests/golden/figures/*.json``), so
a share cannot be 50% on one screen and 100% on another.

* choice: each option's share **of the voters** (ballots), so the shares of a
  multiple-choice poll may sum past 100%; labelled "占投票人数" / "of voters".
* rating: the average score (one decimal), and the distribution as shares of
  the voters.
* ranking: Borda points (n-1 for first ... 0 for last; every ballot ranks every
  option), options best first, each with its share of the most points an
  option could have had ((n-1) x ballots); the rule is part of the figures.
* words: the ``CLOUD_TOP_N`` most frequent words (a cloud's tallies are its
  [word, answers] pairs), each with the answers that contain it and a size
  class 1..6 relative to the most frequent word.

Integer arithmetic only (percentages rounded half up), so Python and JS agree
to the digit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .poll_kinds import CLOUD_TOP_N, PollKind

BASIS = {"zh": "占投票人数", "en": "of voters"}
BORDA_RULE = {
    "zh": "博达计数：第1名得 n−1 分，依次递减，最后一名得 0 分；须排完全部选项",
    "en": "Borda count: n−1 points for first, one less for each place, 0 for last; "
    "every option must be ranked",
}
RATING_NOTE = {"zh": "平均分", "en": "average"}
WORDS_NOTE = {"zh": "每个词计其出现的回答数", "en": "each word counts the answers containing it"}
SIZES = 6  # a word's size class runs 1..SIZES


def pct(part: int, whole: int) -> int:
    """``part`` of ``whole`` in whole percent, rounded half up; 0 of nothing."""
    return (200 * part + whole) // (2 * whole) if whole > 0 else 0


def _ints(values: object, n: int) -> list[int]:
    seq: Sequence[Any] = values if isinstance(values, list | tuple) else []
    return [max(0, int(seq[i])) if i < len(seq) and isinstance(seq[i], int | float) else 0
            for i in range(n)]  # fmt: skip


def _tenths(total: int, ballots: int) -> str | None:
    if ballots <= 0:
        return None
    t = (20 * total + ballots) // (2 * ballots)
    return f"{t // 10}.{t % 10}"


def figures(poll: Mapping[str, Any]) -> dict[str, Any]:
    """The results of ``poll`` (a poll as events and snapshots carry it)."""
    kind = str(poll.get("kind") or PollKind.CHOICE.value)
    raw_ballots = poll.get("ballots")
    ballots = int(raw_ballots) if isinstance(raw_ballots, int | float) else 0
    options = [str(o) for o in poll.get("options") or []]
    if kind == PollKind.WORDS:
        cloud = [
            (str(w[0]), int(w[1])) for w in poll.get("tallies") or [] if isinstance(w, list | tuple)
        ][:CLOUD_TOP_N]
        top = max((c for _, c in cloud), default=0)
        return {
            "kind": kind, "ballots": ballots, "note": WORDS_NOTE,
            "words": [
                {"word": w, "count": c, "size": max(1, (SIZES * c + top - 1) // top) if top else 1}
                for w, c in cloud
            ],
        }  # fmt: skip
    counts = _ints(poll.get("tallies"), len(options))
    if kind == PollKind.RANKING:
        most = (len(options) - 1) * ballots
        order = sorted(range(len(options)), key=lambda i: (-counts[i], i))
        return {
            "kind": kind, "ballots": ballots, "note": BORDA_RULE, "max_points": most,
            "rows": [
                {"option": i, "text": options[i], "points": counts[i], "pct": pct(counts[i], most),
                 "place": 1 + sum(1 for j in order if counts[j] > counts[i])}
                for i in order
            ],
        }  # fmt: skip
    rows = [
        {"option": i, "text": text, "count": counts[i], "pct": pct(counts[i], ballots)}
        for i, text in enumerate(options)
    ]
    top = max(counts, default=0)
    for row in rows:
        row["lead"] = top > 0 and row["count"] == top
    if kind == PollKind.RATING:
        total = sum((i + 1) * c for i, c in enumerate(counts))
        labels = poll.get("labels") or ["", ""]
        return {
            "kind": kind, "ballots": ballots, "note": RATING_NOTE, "basis": BASIS,
            "scale": len(options), "labels": [str(labels[0]), str(labels[1])],
            "average": _tenths(total, ballots), "rows": rows,
        }  # fmt: skip
    return {"kind": PollKind.CHOICE.value, "ballots": ballots, "basis": BASIS, "rows": rows}
