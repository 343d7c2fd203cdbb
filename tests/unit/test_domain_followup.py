"""server.domain.followup: the transition table, roles and the rating rows."""

from __future__ import annotations

import pytest

from server.domain.errors import Rejection
from server.domain.followup import (
    EXT_TRANSITIONS,
    FU_TRANSITIONS,
    SETTLED,
    Action,
    Actor,
    ExtAction,
    ExtState,
    FuState,
    Rating,
    check_ext_transition,
    check_fu_transition,
    needs_triage,
    rate_action,
    sources_of,
)

S, A = FuState, Action

# The road of the issue, as (action, actor, resulting state).
ROAD = [
    (A.ASSIGN, Actor.MODERATOR, S.ASSIGNED),
    (A.ACCEPT, Actor.OFFICIAL, S.ACCEPTED),
    (A.REPLY, Actor.OFFICIAL, S.REPLIED),
    (A.PUBLISH, Actor.MODERATOR, S.PUBLISHED),
    (A.RATE_UNHAPPY, Actor.ASKER, S.PUBLISHED),
    (A.REOPEN, Actor.MODERATOR, S.ASSIGNED),
    (A.ACCEPT, Actor.OFFICIAL, S.ACCEPTED),
    (A.REPLY, Actor.OFFICIAL, S.REPLIED),
    (A.PUBLISH, Actor.MODERATOR, S.PUBLISHED),
    (A.RATE_FINAL, Actor.ASKER, S.CLOSED),
]


def test_the_whole_road() -> None:
    state = S.NONE
    for action, actor, expected in ROAD:
        state = check_fu_transition(1, action, state, actor)
        assert state is expected


def test_send_back_and_reassign() -> None:
    state = check_fu_transition(1, A.ASSIGN, S.NONE, Actor.MODERATOR)
    state = check_fu_transition(1, A.SEND_BACK, state, Actor.OFFICIAL)
    assert state is S.TO_ASSIGN
    assert check_fu_transition(1, A.ASSIGN, state, Actor.MODERATOR) is S.ASSIGNED
    # Accepted items may be sent back too; replied ones no longer.
    assert check_fu_transition(1, A.SEND_BACK, S.ACCEPTED, Actor.OFFICIAL) is S.TO_ASSIGN
    with pytest.raises(Rejection) as refused:
        check_fu_transition(1, A.SEND_BACK, S.REPLIED, Actor.OFFICIAL)
    assert refused.value.code == "conflict"
    assert str(refused.value) == "question 1 is replied; it cannot be send_back"


def test_every_row_refuses_every_other_actor() -> None:
    for action, row in FU_TRANSITIONS.items():
        source = next(iter(row.sources))
        for actor in set(Actor) - row.actors:
            with pytest.raises(Rejection) as refused:
                check_fu_transition(7, action, source, actor)
            assert refused.value.code == "forbidden"


def test_no_row_starts_from_a_state_it_does_not_list() -> None:
    for action, row in FU_TRANSITIONS.items():
        actor = next(iter(row.actors))
        for state in set(S) - row.sources:
            with pytest.raises(Rejection) as refused:
                check_fu_transition(7, action, state, actor)
            assert refused.value.code == "conflict"


def test_an_official_can_do_nothing_a_moderator_can() -> None:
    for row in FU_TRANSITIONS.values():
        assert not (Actor.OFFICIAL in row.actors and Actor.MODERATOR in row.actors)


def test_closed_items_go_nowhere() -> None:
    assert not any(S.CLOSED in row.sources for row in FU_TRANSITIONS.values())
    assert not any(S.MERGED in row.sources for row in FU_TRANSITIONS.values())


def test_every_state_is_reachable() -> None:
    targets = {row.target for row in FU_TRANSITIONS.values()}
    assert targets == set(S) - {S.NONE}


def test_rating_rows() -> None:
    assert rate_action(Rating.SATISFIED, False) is A.RATE_OK
    assert rate_action(Rating.BASICALLY, True) is A.RATE_OK
    assert rate_action(Rating.DISSATISFIED, False) is A.RATE_UNHAPPY
    assert rate_action(Rating.DISSATISFIED, True) is A.RATE_FINAL


def test_triage() -> None:
    assert needs_triage("approved", S.NONE)
    assert needs_triage("pending", S.NONE) and needs_triage("on_air", S.NONE)
    assert not needs_triage("answered", S.NONE)
    assert not needs_triage("approved", S.NONE, carried=True)
    assert not needs_triage("approved", S.ANSWERED_LIVE)
    assert S.TO_ASSIGN not in SETTLED and S.NONE not in SETTLED
    assert sources_of(A.HOLD) == "none"


def test_extension_table() -> None:
    assert check_ext_transition(1, ExtAction.REQUEST, ExtState.NONE, S.ACCEPTED,
                                Actor.OFFICIAL) is ExtState.REQUESTED  # fmt: skip
    assert check_ext_transition(1, ExtAction.GRANT, ExtState.REQUESTED, S.ACCEPTED,
                                Actor.MODERATOR) is ExtState.GRANTED  # fmt: skip
    # Once: a second request is a conflict, whatever the answer to the first.
    for done in (ExtState.GRANTED, ExtState.REFUSED, ExtState.REQUESTED):
        with pytest.raises(Rejection) as again:
            check_ext_transition(1, ExtAction.REQUEST, done, S.ACCEPTED, Actor.OFFICIAL)
        assert again.value.code == "conflict"
    with pytest.raises(Rejection) as late:
        check_ext_transition(1, ExtAction.REQUEST, ExtState.NONE, S.REPLIED, Actor.OFFICIAL)
    assert late.value.code == "conflict"
    with pytest.raises(Rejection) as self_grant:
        check_ext_transition(1, ExtAction.GRANT, ExtState.REQUESTED, S.ACCEPTED, Actor.OFFICIAL)
    assert self_grant.value.code == "forbidden"
    assert set(EXT_TRANSITIONS) == set(ExtAction)
