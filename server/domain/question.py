"""A viewer's question: its lifecycle and the validation of what is submitted.

The transition table below is the single source of truth: ``set_status.lua``
receives the statuses a target may be reached from (``transitions.py``) as an
argument instead of keeping a copy, and applies it (the one check, atomic with
the move). The status a new question starts in is ``ask.lua``'s alone (it
reads the broadcast's settings in the same step); docs/architecture.md lists
where each rule lives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from .broadcast import TAG_MAX_LEN, BroadcastSettings
from .errors import Code, Rejection
from .text import fingerprint, normalize_name, normalize_text

ANONYMOUS = "匿名"
REASON_MAX_LEN = 200


class QuestionStatus(StrEnum):
    PENDING = "pending"  # waiting for a moderator (moderated broadcasts only)
    APPROVED = "approved"  # visible to viewers, may be upvoted
    ON_AIR = "on_air"  # being answered now; shown on the overlay (at most one)
    ANSWERED = "answered"  # done; stays visible
    REJECTED = "rejected"  # hidden from everyone but its asker and moderators
    # United with another question by ``q.merge`` (its supporters moved there):
    # terminal, reached by no transition of the table, so ``q.status`` can
    # neither make a question merged nor bring a merged one back.
    MERGED = "merged"


_S = QuestionStatus
# Every move is reversible by some path so that a moderator's misclick can be
# undone; pending -> answered is not allowed because nobody saw it answered.
QUESTION_TRANSITIONS: Mapping[QuestionStatus, frozenset[QuestionStatus]] = {
    _S.PENDING: frozenset({_S.APPROVED, _S.REJECTED, _S.ON_AIR}),
    _S.APPROVED: frozenset({_S.ON_AIR, _S.REJECTED, _S.PENDING, _S.ANSWERED}),
    _S.ON_AIR: frozenset({_S.ANSWERED, _S.APPROVED}),
    _S.ANSWERED: frozenset({_S.APPROVED, _S.ON_AIR}),
    _S.REJECTED: frozenset({_S.PENDING, _S.APPROVED}),
    _S.MERGED: frozenset(),
}

# A question may not be merged into one that is itself merged (supporters would
# land on a question nobody sees) or rejected (ditto: the moderator said no).
MERGE_REFUSED_TARGETS: frozenset[QuestionStatus] = frozenset({_S.MERGED, _S.REJECTED})


def check_merge(qid: int, into: int) -> None:
    """What can be said of ``q.merge`` without the store: a question is not
    merged into itself. Statuses are checked by the script, atomically."""
    if qid == into:
        raise Rejection(Code.INVALID, f"question {qid} cannot be merged into itself")


@dataclass(frozen=True)
class NewQuestion:
    text: str
    # Always stored, even when the broadcast hides names: moderators see it, and
    # turning show_names back on must not lose it.
    name: str
    tag: str | None
    # fingerprint(text): the store refuses a viewer's second question with the same key.
    fingerprint: str


def _text(raw: object, settings: BroadcastSettings) -> str:
    if not isinstance(raw, str):
        raise Rejection(Code.INVALID, "the question text must be a string")
    return normalize_text(raw, settings.max_len)


def validate_tag(tag: object, settings: BroadcastSettings) -> str | None:
    """One of the broadcast's tags (normalised), or None for no tag (None or
    empty): the viewer's choice when asking, and a moderator's ``q.tag``."""
    if tag is not None and not isinstance(tag, str):
        raise Rejection(Code.INVALID, "the tag must be a string")
    if not tag:
        return None
    # Tags are stored normalised, so compare normalised; a tag too long to be
    # any allowed one is simply unknown.
    try:
        candidate = normalize_name(tag, TAG_MAX_LEN)
    except Rejection:
        raise Rejection(Code.INVALID, f"unknown tag {tag[:TAG_MAX_LEN]!r}") from None
    if not candidate:
        return None
    if candidate not in settings.tags:
        raise Rejection(Code.INVALID, f"unknown tag {candidate!r}")
    return candidate


def validate_new_question(
    text: object,
    name: object,
    tag: object,
    settings: BroadcastSettings,
    name_max_len: int,
) -> NewQuestion:
    """Validate and normalise a submitted question; raise ``Rejection`` if unfit."""
    clean_text = _text(text, settings)
    if name is not None and not isinstance(name, str):
        raise Rejection(Code.INVALID, "the name must be a string")
    clean_name = normalize_name(name, name_max_len) or ANONYMOUS
    clean_tag = validate_tag(tag, settings)
    return NewQuestion(
        text=clean_text,
        name=clean_name,
        tag=clean_tag,
        fingerprint=fingerprint(clean_text),
    )


def validate_edit(text: object, settings: BroadcastSettings) -> str:
    """A moderator's correction of a question's text (same limits as a new one)."""
    return _text(text, settings)


def validate_reason(raw: object) -> str:
    """An optional rejection reason shown to the asker ("" when none)."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise Rejection(Code.INVALID, "the reason must be a string")
    return normalize_name(raw, REASON_MAX_LEN)
