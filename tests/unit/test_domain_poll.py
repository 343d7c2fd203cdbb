from __future__ import annotations

import pytest

from server.domain.errors import Rejection
from server.domain.poll import (
    POLL_TRANSITIONS,
    NewPoll,
    PollState,
    ResultsVisibility,
    results_visible,
    validate_ballot,
    validate_new_poll,
)

P, R = PollState, ResultsVisibility


def test_transition_table() -> None:
    # The table itself; poll_state.lua applies it (tests/store/test_polls.py).
    legal = {(P.DRAFT, P.OPEN), (P.OPEN, P.CLOSED), (P.CLOSED, P.OPEN)}
    assert {(a, b) for a, bs in POLL_TRANSITIONS.items() for b in bs} == legal


def test_new_poll() -> None:
    poll = validate_new_poll(" 您支持\n哪个方案？ ", ["甲", " 乙 "], False, None)
    assert poll == NewPoll("您支持 哪个方案？", ("甲", "乙"), False, R.AFTER_VOTE)
    assert validate_new_poll("q", ("a", "b"), True, "always").results is R.ALWAYS


@pytest.mark.parametrize(
    ("question", "options", "multi", "results", "code"),
    [
        pytest.param("", ["a", "b"], False, None, "empty", id="empty-question"),
        pytest.param("q" * 201, ["a", "b"], False, None, "too_long", id="long-question"),
        pytest.param(1, ["a", "b"], False, None, "invalid", id="question-not-str"),
        pytest.param("q", ["a"], False, None, "invalid", id="one-option"),
        pytest.param("q", [str(i) for i in range(11)], False, None, "invalid", id="eleven"),
        pytest.param("q", "ab", False, None, "invalid", id="options-str"),
        pytest.param("q", ["a", 2], False, None, "invalid", id="option-not-str"),
        pytest.param("q", ["a", " "], False, None, "empty", id="empty-option"),
        pytest.param("q", ["a", "o" * 81], False, None, "too_long", id="long-option"),
        pytest.param("q", ["a", "a\u200b"], False, None, "invalid", id="duplicate"),
        pytest.param("q", ["a", "b"], 1, None, "invalid", id="multi-int"),
        pytest.param("q", ["a", "b"], False, "never", "invalid", id="bad-results"),
        pytest.param("q", ["a", "b"], False, 3, "invalid", id="results-int"),
    ],
)
def test_invalid_polls(
    question: object, options: object, multi: object, results: object, code: str
) -> None:
    with pytest.raises(Rejection) as info:
        validate_new_poll(question, options, multi, results)
    assert info.value.code == code


@pytest.mark.parametrize(
    ("choices", "multi", "expected"),
    [
        ([2], False, (2,)),
        ([0], False, (0,)),
        ([3, 0], True, (0, 3)),
        ([0, 1, 2, 3], True, (0, 1, 2, 3)),
    ],
)
def test_valid_ballots(choices: list[int], multi: bool, expected: tuple[int, ...]) -> None:
    assert validate_ballot(1, choices, 4, multi) == expected


@pytest.mark.parametrize(
    ("choices", "multi"),
    [
        pytest.param([], False, id="none-single"),
        pytest.param([], True, id="none-multi"),
        pytest.param([0, 1], False, id="two-single"),
        pytest.param([4], False, id="out-of-range"),
        pytest.param([-1], False, id="negative"),
        pytest.param([True], False, id="bool"),
        pytest.param([1.0], False, id="float"),
        pytest.param(["1"], False, id="str"),
        pytest.param([1, 1], True, id="repeat"),
        pytest.param(1, False, id="not-a-list"),
        pytest.param(None, False, id="none"),
    ],
)
def test_invalid_ballots(choices: object, multi: bool) -> None:
    with pytest.raises(Rejection) as info:
        validate_ballot(1, choices, 4, multi)
    assert info.value.code == "invalid"


@pytest.mark.parametrize(
    ("results", "state", "voted", "visible"),
    [
        (R.AFTER_VOTE, P.OPEN, False, False),
        (R.AFTER_VOTE, P.OPEN, True, True),
        (R.AFTER_VOTE, P.CLOSED, False, True),
        (R.AFTER_CLOSE, P.OPEN, True, False),
        (R.AFTER_CLOSE, P.CLOSED, False, True),
        (R.ALWAYS, P.OPEN, False, True),
        (R.ALWAYS, P.DRAFT, False, False),
    ],
)
def test_results_visible(
    results: ResultsVisibility, state: PollState, voted: bool, visible: bool
) -> None:
    assert results_visible(results, state, voted) is visible
