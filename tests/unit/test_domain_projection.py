from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.projection import (
    coalesce,
    private_id,
    project,
    project_for_owner,
    project_for_voter,
)
from server.protocol import Role

V, M, OV = Role.VIEWER, Role.MODERATOR, Role.OVERLAY
RAW = "vid-RAW-viewer-id"


def pseudonym(vid: str) -> str:
    return f"p{len(vid)}"


def q(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": 7, "text": "为什么涨价？", "name": "小王", "tag": None, "status": status,
        "votes": 2, "starred": False, "created": 1, "updated": 2, "edited": False,
        "reason": "重复" if status == "rejected" else None, "merged_into": None, **extra,
    }  # fmt: skip


def public(status: str) -> dict[str, Any]:
    out = q(status)
    del out["reason"]
    return out


def question(status: str, prev: str | None, **extra: Any) -> dict[str, Any]:
    return {"type": "question", "q": q(status), "asker": RAW, "prev": prev, "pos": "9-0", **extra}


def votes(status: str, on: bool = True) -> dict[str, Any]:
    return {"type": "votes", "qid": 7, "votes": 3, "status": status, "voter": RAW, "on": on}


def poll(state: str, results: str) -> dict[str, Any]:
    p = {"id": 1, "question": "方案？", "options": ["甲", "乙"], "multi": False, "results": results,
         "state": state, "tallies": [3, 4], "ballots": 7, "created": 1, "shown": True}  # fmt: skip
    return {"type": "poll", "poll": p}


def tally(state: str = "open", results: str = "after_vote") -> dict[str, Any]:
    return {"type": "tally", "pid": 1, "tallies": [3, 4], "ballots": 7, "voter": RAW,
            "choices": [1], "results": results, "state": state, "pos": "5-1"}  # fmt: skip


LIKES = {"type": "likes", "total": 12345}
BAN = {"type": "ban", "asker": RAW, "qid": 7, "on": True, "pos": "9-1"}
PRESENCE = {"type": "presence", "now": 3, "peak": 9, "unique": 40}
BROADCAST = {"type": "broadcast", "b": {"id": "demo", "state": "live"}}
OVERLAY = {"type": "overlay", "show": "poll", "pid": 1}
SCENES = {"type": "overlay", "show": None, "poll": None, "scene": "empty", "layers": {},
          "scenes": [{"id": "empty", "name": "空", "widgets": {}}], "cue": {"layers": {}, "qid": 4},
          "pos": "9-0"}  # fmt: skip
RUNDOWN = {"type": "rundown", "items": {}, "ver": 3, "pos": "9-1"}
TALLY_PUBLIC = {"type": "tally", "pid": 1, "tallies": [3, 4], "ballots": 7, "state": "open",
                "pos": "5-1"}  # fmt: skip
HIDDEN_POLL = {"type": "poll", "poll": {**poll("open", "after_vote")["poll"], "tallies": None,
                                        "ballots": None}}  # fmt: skip

ROLE_CASES: list[tuple[str, dict[str, Any], Role, dict[str, Any] | None]] = [
    # viewers
    ("viewer: approved question", question("approved", "pending"), V,
     {"type": "question", "q": public("approved"), "pos": "9-0"}),
    ("viewer: pending question", question("pending", None), V, None),
    ("viewer: rejected from pending", question("rejected", "pending"), V, None),
    ("viewer: rejected after approval", question("rejected", "approved"), V,
     {"type": "question_removed", "qid": 7, "pos": "9-0"}),
    ("viewer: back to pending", question("pending", "answered"), V,
     {"type": "question_removed", "qid": 7, "pos": "9-0"}),
    ("viewer: public votes", votes("approved"), V, {"type": "votes", "qid": 7, "votes": 3}),
    ("viewer: pending votes", votes("pending"), V, None),
    ("viewer: likes", LIKES, V, LIKES),
    ("viewer: presence", PRESENCE, V, PRESENCE),
    ("viewer: broadcast", BROADCAST, V, BROADCAST),
    ("viewer: draft poll", poll("draft", "always"), V, None),
    ("viewer: open poll, after_vote", poll("open", "after_vote"), V, HIDDEN_POLL),
    ("viewer: open poll, always", poll("open", "always"), V, poll("open", "always")),
    ("viewer: closed poll", poll("closed", "after_close"), V, poll("closed", "after_close")),
    ("viewer: tally, after_vote", tally(results="after_vote"), V, None),
    ("viewer: tally, after_close", tally(results="after_close"), V, None),
    ("viewer: tally, always", tally(results="always"), V, TALLY_PUBLIC),
    ("viewer: overlay", OVERLAY, V, None),
    ("viewer: merged after approval", question("merged", "approved"), V,
     {"type": "question_removed", "qid": 7, "pos": "9-0"}),
    ("viewer: merged while pending", question("merged", "pending"), V, None),
    ("viewer: ban", BAN, V, None),
    # overlay
    # On and off the air: the viewers' shape (the overlay's state follows the
    # status, as every client's does).
    ("overlay: on air", question("on_air", "approved"), OV,
     {"type": "question", "q": public("on_air"), "pos": "9-0"}),
    ("overlay: off air", question("answered", "on_air"), OV,
     {"type": "question", "q": public("answered"), "pos": "9-0"}),
    ("overlay: back from the air", question("approved", "on_air"), OV,
     {"type": "question", "q": public("approved"), "pos": "9-0"}),
    # The ticker's questions: what viewers get, drawn only while shown.
    ("overlay: approved", question("approved", "pending"), OV,
     {"type": "question", "q": public("approved"), "pos": "9-0"}),
    ("overlay: answered", question("answered", "approved"), OV,
     {"type": "question", "q": public("answered"), "pos": "9-0"}),
    ("overlay: pending", question("pending", None), OV, None),
    ("overlay: rejected from pending", question("rejected", "pending"), OV, None),
    ("overlay: rejected after approval", question("rejected", "approved"), OV,
     {"type": "question_removed", "qid": 7, "pos": "9-0"}),
    ("overlay: back to pending", question("pending", "approved"), OV,
     {"type": "question_removed", "qid": 7, "pos": "9-0"}),
    ("overlay: on-air votes", votes("on_air"), OV, {"type": "votes", "qid": 7, "votes": 3}),
    ("overlay: public votes", votes("approved"), OV, {"type": "votes", "qid": 7, "votes": 3}),
    ("overlay: pending votes", votes("pending"), OV, None),
    ("overlay: rejected votes", votes("rejected"), OV, None),
    ("overlay: likes", LIKES, OV, LIKES),
    ("overlay: overlay", OVERLAY, OV, OVERLAY),
    ("overlay: open poll", poll("open", "after_close"), OV, poll("open", "after_close")),
    ("overlay: draft poll", poll("draft", "always"), OV, None),
    ("overlay: tally", tally(), OV, TALLY_PUBLIC),
    ("overlay: merged while on air", question("merged", "on_air"), OV,
     {"type": "question_removed", "qid": 7, "pos": "9-0"}),
    ("overlay: ban", BAN, OV, None),
    # moderators
    ("moderator: pending question", question("pending", None), M,
     {"type": "question", "q": {**q("pending"), "asker": "p17"}, "prev": None, "pos": "9-0"}),
    ("moderator: merged question", question("merged", "approved"), M,
     {"type": "question", "q": {**q("merged"), "asker": "p17"}, "prev": "approved",
      "pos": "9-0"}),
    ("moderator: ban", BAN, M, {"type": "ban", "asker": "p17", "qid": 7, "on": True, "pos": "9-1"}),
    ("moderator: votes", votes("pending", on=False), M,
     {"type": "votes", "qid": 7, "votes": 3, "status": "pending", "on": False}),
    ("moderator: tally", tally(), M,
     {"type": "tally", "pid": 1, "tallies": [3, 4], "ballots": 7, "results": "after_vote",
      "state": "open", "pos": "5-1"}),
    ("moderator: draft poll", poll("draft", "always"), M, poll("draft", "always")),
    ("moderator: overlay", OVERLAY, M, OVERLAY),
    ("moderator: presence", PRESENCE, M, PRESENCE),
    # the layered overlay and the run-down (lists Lua's cjson wrote as {} come back as lists)
    ("viewer: scenes", SCENES, V, None),
    ("overlay: scenes", SCENES, OV, {**SCENES, "layers": [], "scenes": [
        {"id": "empty", "name": "空", "widgets": []}], "cue": {"layers": [], "qid": 4}}),
    ("moderator: scenes", SCENES, M, {**SCENES, "layers": [], "scenes": [
        {"id": "empty", "name": "空", "widgets": []}], "cue": {"layers": [], "qid": 4}}),
    ("viewer: rundown", RUNDOWN, V, None),
    ("overlay: rundown", RUNDOWN, OV, {**RUNDOWN, "items": []}),
    ("moderator: rundown", {**RUNDOWN, "items": [3, 1]}, M, {**RUNDOWN, "items": [3, 1]}),
    # nobody
    ("viewer: key_rotated", {"type": "key_rotated"}, V, None),
    ("moderator: key_rotated", {"type": "key_rotated"}, M, None),
    ("overlay: key_rotated", {"type": "key_rotated"}, OV, None),
    ("moderator: unknown", {"type": "debug", "asker": RAW}, M, None),
    ("viewer: no type", {"q": 1}, V, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("event", "role", "expected"), [c[1:] for c in ROLE_CASES], ids=[c[0] for c in ROLE_CASES]
)
def test_project(event: dict[str, Any], role: Role, expected: dict[str, Any] | None) -> None:
    assert project(event, role, pseudonym=pseudonym) == expected


def test_projection_does_not_mutate_the_event() -> None:
    event = poll("open", "after_vote")
    project(event, V, pseudonym=pseudonym)
    assert event == poll("open", "after_vote")


def test_private_id() -> None:
    assert private_id(question("pending", None)) == RAW
    assert private_id(votes("approved")) == RAW
    assert private_id(tally()) == RAW
    assert private_id(LIKES) is None
    assert private_id({"type": "question", "q": q("pending")}) is None


def test_owner_follows_own_question_everywhere() -> None:
    event = question("rejected", "pending")
    assert project_for_owner(event, None) == {
        "type": "question", "q": public("rejected") | {"reason": "重复"}, "mine": True,
        "pos": "9-0",
    }  # fmt: skip


def test_owner_sees_own_vote() -> None:
    event = votes("approved", on=False)
    wide = project(event, V, pseudonym=pseudonym)
    assert project_for_owner(event, wide) == {"type": "votes", "qid": 7, "votes": 3, "mine": False}
    assert wide == {"type": "votes", "qid": 7, "votes": 3}  # the shared dict is not touched
    assert project_for_owner(votes("pending"), None) == {
        "type": "votes", "qid": 7, "votes": 3, "mine": True,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("state", "results", "visible"),
    [("open", "after_vote", True), ("open", "always", True), ("open", "after_close", False),
     ("closed", "after_close", True)],
)  # fmt: skip
def test_owner_and_voter_tally(state: str, results: str, visible: bool) -> None:
    event = tally(state, results)
    shown = {"type": "tally", "pid": 1, "tallies": [3, 4], "ballots": 7, "state": state,
             "pos": "5-1"}  # fmt: skip
    hidden = shown | {"tallies": None, "ballots": None}
    assert project_for_owner(event, None) == (shown if visible else hidden) | {"mine": [1]}
    assert project_for_voter(event) == (shown if visible else None)


def test_owner_of_other_events_gets_role_wide() -> None:
    wide = {"type": "likes", "total": 1}
    assert project_for_owner(LIKES, wide) is wide
    assert project_for_voter(LIKES) is None


# --- property: no raw viewer id ever leaves ------------------------------------------

statuses = st.sampled_from(["pending", "approved", "on_air", "answered", "rejected", "merged"])
poll_states = st.sampled_from(["draft", "open", "closed"])
visibility = st.sampled_from(["after_vote", "after_close", "always"])
ids = st.text(max_size=12).map(lambda s: f"vid:{s}")  # never equal to another field

KNOWN = {
    "question",
    "votes",
    "likes",
    "presence",
    "poll",
    "tally",
    "broadcast",
    "overlay",
    "ban",
    "rundown",
}
FLAGS = {"action": "hold", "words": ["SECRET-WORD"], "spans": [[0, 2]]}
unknown_types = st.text(max_size=8).filter(lambda t: t not in KNOWN)

events = st.one_of(
    st.builds(lambda s, p, a, f: {"type": "question", "q": q(s, text="SECRET-TEXT", flags=f),
                                  "asker": a, "prev": p},
              statuses, st.none() | statuses, ids, st.none() | st.just(FLAGS)),
    st.builds(lambda a, on: {"type": "ban", "asker": a, "qid": 7, "on": on}, ids, st.booleans()),
    st.builds(lambda s, a, on: {"type": "votes", "qid": 7, "votes": 1, "status": s, "voter": a,
                                "on": on}, statuses, ids, st.booleans()),
    st.builds(lambda ps, r, a: {"type": "tally", "pid": 1, "tallies": [1], "ballots": 1,
                                "voter": a, "choices": [0], "results": r, "state": ps},
              poll_states.filter(lambda s: s != "draft"), visibility, ids),
    st.builds(lambda ps, r: poll(ps, r), poll_states, visibility),
    st.sampled_from([LIKES, PRESENCE, BROADCAST, OVERLAY, {"type": "key_rotated"}]),
    st.builds(lambda t, a: {"type": t, "asker": a, "voter": a}, unknown_types, ids),
)  # fmt: skip


def walk(value: Any) -> Iterator[tuple[str | None, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


@given(events, st.sampled_from(list(Role)))
def test_no_raw_private_id_leaks(event: dict[str, Any], role: Role) -> None:
    def pseudo(vid: str) -> str:
        return "pseudo"

    wide = project(event, role, pseudonym=pseudo)
    outputs = [wide, project_for_voter(event)]
    if role == V and private_id(event) is not None:
        outputs.append(project_for_owner(event, wide))
    raw_ids = {event.get("asker"), event.get("voter")} - {None}
    for out in outputs:
        for key, value in walk(out):
            assert key != "voter"
            if key == "asker":
                assert role == M and value == "pseudo"
            assert not (isinstance(value, str) and value in raw_ids)


@given(events, st.sampled_from([V, OV]))
def test_hidden_question_text_never_reaches_viewers_or_overlay(
    event: dict[str, Any], role: Role
) -> None:
    out = project(event, role, pseudonym=pseudonym)
    if event["type"] == "question" and event["q"]["status"] in ("pending", "rejected", "merged"):
        assert "SECRET-TEXT" not in repr(out)
    assert "SECRET-WORD" not in repr(out), "flags are for moderators only"
    if event["type"] == "question" and role == V:
        assert "SECRET-WORD" not in repr(project_for_owner(event, out)), "nor for the asker"
    if out is not None and event["type"] == "question":
        assert "reason" not in (out.get("q") or {})


def questions_in(value: Any) -> Iterator[dict[str, Any]]:
    """Every question-shaped dict (one with a ``status`` and ``text``) inside ``value``."""
    if isinstance(value, dict):
        if "status" in value and "text" in value:
            yield value
        for v in value.values():
            yield from questions_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from questions_in(v)


@given(events)
def test_overlay_gets_only_public_questions(event: dict[str, Any]) -> None:
    """docs/reliability.md 25: nothing a moderator has not approved reaches the overlay."""
    out = project(event, OV, pseudonym=pseudonym)
    for found in questions_in(out):
        assert found["status"] in ("approved", "on_air", "answered")
        assert "reason" not in found
    if out is not None and out["type"] == "votes":
        assert event["status"] in ("approved", "on_air", "answered")
    assert out is None or out["type"] != "on_air"  # gone from the wire in version 2


# --- coalesce --------------------------------------------------------------------------


def test_coalesce_keeps_last_of_each_at_its_position() -> None:
    batch = [
        {"type": "likes", "total": 1},
        {"type": "question", "n": 1},
        {"type": "tally", "pid": 1, "n": 1},
        {"type": "presence", "now": 1},
        {"type": "tally", "pid": 2, "n": 1},
        {"type": "likes", "total": 2},
        {"type": "tally", "pid": 1, "n": 2},
        {"type": "question", "n": 2},
        {"type": "presence", "now": 2},
    ]
    assert coalesce(batch) == [
        {"type": "question", "n": 1},
        {"type": "tally", "pid": 2, "n": 1},
        {"type": "likes", "total": 2},
        {"type": "tally", "pid": 1, "n": 2},
        {"type": "question", "n": 2},
        {"type": "presence", "now": 2},
    ]
    assert coalesce([]) == []


batch_events = st.lists(
    st.one_of(
        st.builds(
            lambda t: {"type": t}, st.sampled_from(["likes", "presence", "question", "votes"])
        ),
        st.builds(lambda p: {"type": "tally", "pid": p}, st.integers(0, 3)),
    ),
    max_size=30,
).map(lambda evs: [{**e, "seq": i} for i, e in enumerate(evs)])


@given(batch_events)
def test_coalesce_properties(batch: list[dict[str, Any]]) -> None:
    out = coalesce(batch)
    coalesced = {"likes", "presence", "tally"}
    assert [e for e in out if e["type"] not in coalesced] == [
        e for e in batch if e["type"] not in coalesced
    ]
    assert [e["seq"] for e in out] == sorted(e["seq"] for e in out)
    for kind in ("likes", "presence"):
        of_kind = [e for e in batch if e["type"] == kind]
        assert [e for e in out if e["type"] == kind] == of_kind[-1:]
    for pid in range(4):
        of_pid = [e for e in batch if e["type"] == "tally" and e["pid"] == pid]
        assert [e for e in out if e["type"] == "tally" and e["pid"] == pid] == of_pid[-1:]


def test_poll_deleted_reaches_moderators_only() -> None:
    event = {"type": "poll_deleted", "poll": 3, "pos": "1-1"}
    assert project(event, Role.MODERATOR, pseudonym=str) == event
    assert project(event, Role.VIEWER, pseudonym=str) is None
    assert project(event, Role.OVERLAY, pseudonym=str) is None
