"""A word cloud's events per role (server/domain/poll_shape.py through projection):
review fields for moderators only, cjson's empty tables as lists, held answers
never outside the console."""

from __future__ import annotations

from typing import Any

from server.domain.projection import project, project_for_owner, project_snapshot
from server.protocol import Role


def pseudonym(vid: str) -> str:
    return "p-" + vid[-3:]


CLOUD: dict[str, Any] = {
    "id": 4, "kind": "words", "question": "一个词", "options": {}, "multi": False,
    "results": "always", "state": "open", "tallies": {}, "ballots": 0, "created": 1,
    "shown": False, "maxlen": 20, "moderated": True, "hidden": ["太挤"],
    "queue": [{"id": 1, "text": "骗子太多", "flags": None}], "pending": 1,
}  # fmt: skip


def test_a_cloud_poll_event_keeps_review_fields_for_moderators_only() -> None:
    event = {"type": "poll", "poll": CLOUD, "pos": "1-0"}
    mod = project(event, Role.MODERATOR, pseudonym=pseudonym)
    assert mod is not None
    assert mod["poll"]["queue"] == CLOUD["queue"] and mod["poll"]["hidden"] == ["太挤"]
    assert mod["poll"]["options"] == [] and mod["poll"]["tallies"] == []
    for role in (Role.VIEWER, Role.OVERLAY):
        out = project(event, role, pseudonym=pseudonym)
        assert out is not None
        assert not {"queue", "hidden", "pending"} & out["poll"].keys()
        assert out["poll"]["tallies"] == [] and out["poll"]["options"] == []
        assert "骗子" not in repr(out)


def test_a_cloud_tally_and_answer_events_per_role() -> None:
    tally = {"type": "tally", "pid": 4, "tallies": [["地铁", 2]], "ballots": 2, "state": "open",
             "results": "always", "hidden": ["太挤"], "pending": 0, "voter": "v-raw-abc",
             "choices": ["地铁"], "answer": {"id": 1, "text": "地铁"}, "status": "counted",
             "pos": "2-0"}  # fmt: skip
    mod = project(tally, Role.MODERATOR, pseudonym=pseudonym)
    assert mod is not None and mod["hidden"] == ["太挤"] and "voter" not in mod
    viewer = project(tally, Role.VIEWER, pseudonym=pseudonym)
    assert viewer == {"type": "tally", "pid": 4, "tallies": [["地铁", 2]], "ballots": 2,
                      "state": "open", "pos": "2-0"}  # fmt: skip
    own = project_for_owner(tally, viewer)
    assert own is not None and own["mine"] == ["地铁"] and "hidden" not in own
    answer = {"type": "answer", "pid": 4, "answer": {"id": 2, "text": "骗子"}, "status": "pending",
              "pending": 1, "pos": "3-0"}  # fmt: skip
    assert project(answer, Role.MODERATOR, pseudonym=pseudonym) is not None
    assert project(answer, Role.VIEWER, pseudonym=pseudonym) is None
    assert project(answer, Role.OVERLAY, pseudonym=pseudonym) is None


def test_snapshots_shape_cloud_polls_per_role() -> None:
    snap = {"broadcast": {"id": "b", "settings": {}}, "polls": [CLOUD], "likes": 0,
            "presence": {}, "on_air": None, "questions": [], "banned": [],
            "overlay": {"show": None, "poll": None}}  # fmt: skip
    view = project_snapshot(snap, Role.VIEWER, pseudonym=pseudonym, names_hidden=False)
    assert "queue" not in view["polls"][0] and view["polls"][0]["tallies"] == []
    mod = project_snapshot(snap, Role.MODERATOR, pseudonym=pseudonym, names_hidden=False)
    assert mod["polls"][0]["pending"] == 1
