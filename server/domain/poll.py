"""A poll: lifecycle, validation of its definition and of a viewer's ballot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from .errors import Code, Rejection
from .text import normalize_name

QUESTION_MAX_LEN = 200
OPTION_MAX_LEN = 80
OPTIONS_RANGE = (2, 10)


class PollState(StrEnum):
    DRAFT = "draft"  # prepared by a moderator; invisible to viewers
    OPEN = "open"  # accepting ballots
    CLOSED = "closed"  # results final (until reopened)


# Reopening is allowed (a poll closed too early); going back to draft is not,
# because viewers have already seen the poll. ``poll_state.lua`` receives the
# states a target may be reached from and applies them; it keeps no copy.
POLL_TRANSITIONS: Mapping[PollState, frozenset[PollState]] = {
    PollState.DRAFT: frozenset({PollState.OPEN}),
    PollState.OPEN: frozenset({PollState.CLOSED}),
    PollState.CLOSED: frozenset({PollState.OPEN}),
}


class ResultsVisibility(StrEnum):
    AFTER_VOTE = "after_vote"  # a viewer sees results once they voted (or the poll closed)
    AFTER_CLOSE = "after_close"  # nobody but moderators sees results before closing
    ALWAYS = "always"  # live results for everyone


@dataclass(frozen=True)
class NewPoll:
    question: str
    options: tuple[str, ...]
    multi: bool
    results: ResultsVisibility


def _invalid(message: str) -> Rejection:
    return Rejection(Code.INVALID, message)


def _line(raw: object, max_len: int, what: str) -> str:
    # Poll texts are single lines: they are laid out as buttons and overlay bars.
    if not isinstance(raw, str):
        raise _invalid(f"the {what} must be a string")
    text = normalize_name(raw, max_len)
    if not text:
        raise Rejection(Code.EMPTY, f"the {what} is empty")
    return text


def _visibility(raw: object) -> ResultsVisibility:
    if raw is None:
        return ResultsVisibility.AFTER_VOTE
    if isinstance(raw, str):
        try:
            return ResultsVisibility(raw)
        except ValueError:
            pass
    allowed = ", ".join(v.value for v in ResultsVisibility)
    raise _invalid(f"results must be one of {allowed}")


def validate_new_poll(question: object, options: object, multi: object, results: object) -> NewPoll:
    """Validate and normalise a moderator's poll; raise ``Rejection`` if unfit."""
    clean_question = _line(question, QUESTION_MAX_LEN, "poll question")
    lo, hi = OPTIONS_RANGE
    if not isinstance(options, list | tuple):
        raise _invalid("the options must be a list of strings")
    if not lo <= len(options) <= hi:
        raise _invalid(f"a poll needs {lo} to {hi} options, not {len(options)}")
    clean_options: list[str] = []
    for raw in options:
        option = _line(raw, OPTION_MAX_LEN, "option")
        if option in clean_options:
            raise _invalid(f"option {option!r} is listed twice")
        clean_options.append(option)
    if not isinstance(multi, bool):
        raise _invalid("multi must be true or false")
    visibility = _visibility(results)
    return NewPoll(clean_question, tuple(clean_options), multi, visibility)


def validate_ballot(pid: int, choices: object, n_options: int, multi: bool) -> tuple[int, ...]:
    """A viewer's choices as a sorted tuple of option indexes.

    Single-choice polls take exactly one index, multiple-choice polls one to all.
    """
    if not isinstance(choices, list | tuple) or not all(
        isinstance(c, int) and not isinstance(c, bool) for c in choices
    ):
        raise _invalid(f"the choices for poll {pid} must be a list of option numbers")
    picked: list[int] = list(choices)
    if len(set(picked)) != len(picked):
        raise _invalid(f"the choices for poll {pid} repeat an option")
    for c in picked:
        if not 0 <= c < n_options:
            raise _invalid(f"poll {pid} has no option {c}")
    if multi:
        if not 1 <= len(picked) <= n_options:
            raise _invalid(f"poll {pid} needs 1 to {n_options} choices")
    elif len(picked) != 1:
        raise _invalid(f"poll {pid} takes exactly one choice")
    return tuple(sorted(picked))


def results_visible(results: ResultsVisibility, state: PollState, has_voted: bool) -> bool:
    """Whether a viewer may see the tallies (moderators and the overlay always may)."""
    if state == PollState.DRAFT:
        return False
    if state == PollState.CLOSED or results == ResultsVisibility.ALWAYS:
        return True
    return results == ResultsVisibility.AFTER_VOTE and has_voted
