"""The kinds of poll beyond single and multiple choice: rating, ranking, word cloud.

A poll's kind decides what a ballot is and what its tallies mean
(docs/console.md, "Poll types"):

* ``choice``: one or several option indexes; tallies count ballots per option.
* ``rating``: one point of a 1..N scale (N in ``RATING_SCALES``), sent as the
  index of that point (0 = 1); tallies count ballots per point. The scale's two
  ends carry labels (e.g. 很差 / 很好).
* ``ranking``: every option, best first (a full ranking: a partial one is
  refused, so every ballot hands out the same points); tallies are Borda points,
  n-1 for first ... 0 for last.
* ``words``: a short free-text answer (a word cloud), segmented into words; the
  cloud is a per-poll tally of word -> answers containing it.

Everything here is pure validation; the scripts (``ballot.lua``,
``poll_answer.lua``) recheck what depends on the stored poll atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from .errors import Code, Rejection
from .poll import OPTION_MAX_LEN, OPTIONS_RANGE, NewPoll, ResultsVisibility, validate_new_poll
from .text import normalize_name


class PollKind(StrEnum):
    CHOICE = "choice"
    RATING = "rating"
    RANKING = "ranking"
    WORDS = "words"


RATING_SCALES = (5, 10)
LABEL_MAX_LEN = 20  # a scale's end label, drawn under the first and last point
RANKING_RANGE = (2, 10)  # options a ranking orders
# A word-cloud answer: the limit a moderator sets, within these bounds.
ANSWER_LEN_RANGE = (1, 50)
ANSWER_LEN_DEFAULT = 20
# Words a cloud shows (and a tally event carries): the most frequent ones.
CLOUD_TOP_N = 50
# Pending answers a moderator's snapshot carries per poll (the oldest first).
REVIEW_QUEUE_MAX = 100


@dataclass(frozen=True)
class PollSpec:
    """A validated poll of any kind: what ``poll_create.lua`` stores."""

    kind: PollKind
    base: NewPoll  # question, options (rating: "1".."N"; words: none), multi, results
    labels: tuple[str, str] | None = None  # rating: the scale's ends
    max_len: int = 0  # words: the answer's length limit
    moderated: bool = False  # words: answers count only once a moderator approves them

    def extra(self) -> dict[str, object]:
        """The kind's fields as stored in the poll's hash (and sent in its events)."""
        out: dict[str, object] = {"kind": self.kind.value}
        if self.labels is not None:
            out["labels"] = list(self.labels)
        if self.kind is PollKind.WORDS:
            out["maxlen"] = self.max_len
            out["moderated"] = self.moderated
        return out


def _invalid(message: str) -> Rejection:
    return Rejection(Code.INVALID, message)


def _kind(raw: object) -> PollKind:
    if raw is None:
        return PollKind.CHOICE
    if isinstance(raw, str):
        try:
            return PollKind(raw)
        except ValueError:
            pass
    raise _invalid("kind must be one of " + ", ".join(k.value for k in PollKind))


def _labels(raw: object) -> tuple[str, str]:
    if raw is None:
        return ("", "")
    if (
        not isinstance(raw, list | tuple)
        or len(raw) != 2
        or not all(isinstance(s, str) for s in raw)
    ):
        raise _invalid("labels must be two strings: the low end and the high end")
    low, high = (normalize_name(s, LABEL_MAX_LEN) for s in raw)
    return (low, high)


def validate_poll_spec(
    question: object,
    options: object,
    multi: object,
    results: object,
    *,
    kind: object = None,
    scale: object = None,
    labels: object = None,
    max_len: object = None,
    moderated: object = None,
) -> PollSpec:
    """Validate a moderator's poll of any kind; raise ``Rejection`` if unfit."""
    k = _kind(kind)
    if k is PollKind.CHOICE:
        return PollSpec(k, validate_new_poll(question, options, multi, results))
    if multi not in (None, False):
        raise _invalid(f"a {k.value} poll is not multiple choice")
    if k is PollKind.RATING:
        if scale not in RATING_SCALES or isinstance(scale, bool):
            raise _invalid(f"a rating scale is 1 to {' or 1 to '.join(map(str, RATING_SCALES))}")
        assert isinstance(scale, int)
        points = [str(i) for i in range(1, scale + 1)]
        base = validate_new_poll(question, points, False, results)
        return PollSpec(k, base, labels=_labels(labels))
    if k is PollKind.RANKING:
        lo, hi = RANKING_RANGE
        if isinstance(options, list | tuple) and not lo <= len(options) <= hi:
            raise _invalid(f"a ranking orders {lo} to {hi} options, not {len(options)}")
        return PollSpec(k, validate_new_poll(question, options, False, results))
    # Word cloud: no options; the answer's length limit.
    if options not in (None, [], ()):
        raise _invalid("a word-cloud poll has no options")
    lo, hi = ANSWER_LEN_RANGE
    limit = ANSWER_LEN_DEFAULT if max_len is None else max_len
    if not isinstance(limit, int) or isinstance(limit, bool) or not lo <= limit <= hi:
        raise _invalid(f"a word-cloud answer limit is {lo} to {hi} characters")
    if moderated is not None and not isinstance(moderated, bool):
        raise _invalid("moderated must be true or false")
    # The question is validated as any poll's (two placeholder options pass the shape check).
    base = validate_new_poll(question, ["-", "+"], False, results)
    return PollSpec(k, NewPoll(base.question, (), False, base.results), max_len=limit,
                    moderated=bool(moderated))  # fmt: skip


def validate_ranking(pid: int, order: Sequence[int], n_options: int) -> tuple[int, ...]:
    """A full ranking: every option index exactly once, best first (order kept)."""
    picked = list(order)
    if len(set(picked)) != len(picked):
        raise _invalid(f"the ranking for poll {pid} repeats an option")
    if any(not 0 <= c < n_options for c in picked):
        raise _invalid(f"poll {pid} has no such option")
    if len(picked) != n_options:
        raise _invalid(f"rank all {n_options} options of poll {pid}, not {len(picked)}")
    return tuple(picked)


def borda_points(position: int, n_options: int) -> int:
    """Points of the option ranked at ``position`` (0 = first): n-1 ... 0."""
    return n_options - 1 - position


__all__ = [
    "ANSWER_LEN_RANGE",
    "CLOUD_TOP_N",
    "OPTIONS_RANGE",
    "OPTION_MAX_LEN",
    "RATING_SCALES",
    "PollKind",
    "PollSpec",
    "ResultsVisibility",
    "borda_points",
    "validate_poll_spec",
    "validate_ranking",
]
