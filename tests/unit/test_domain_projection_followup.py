"""server.domain.projection for follow-up events: what leaves the office."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from server.domain.followup import FuState
from server.domain.projection import (
    Role,
    private_id,
    project,
    project_for_owner,
)

INTERNAL = ("draft", "draft_link", "reply_orig", "ext_state", "ext_due", "ext_reason",
            "last_dept", "sent_back_at", "qtype")  # fmt: skip


def event(state: str, **fu: Any) -> dict[str, Any]:
    record = {"state": state, "dept": "roads", "due": "2024-10-08", "draft": "草稿",
              "reply": "答复", "reply_orig": "原文", "reason": "非本单位", "ext_state": "requested",
              "ext_reason": "需勘查", "last_dept": "parks", **fu}  # fmt: skip
    return {"type": "followup", "qid": 3, "fu": record, "asker": "v-secret", "prev": "replied",
            "pos": "1-0"}  # fmt: skip


def pseudo(vid: str) -> str:
    return "p-" + vid[-2:]


def test_viewers_see_only_published_replies() -> None:
    assert project(event("replied"), Role.VIEWER, pseudonym=pseudo) is None
    out = project(event("published"), Role.VIEWER, pseudonym=pseudo)
    assert out == {"type": "followup", "qid": 3, "pos": "1-0",
                   "fu": {"state": "published", "dept": "roads", "reply": "答复"}}  # fmt: skip
    assert project(event("published"), Role.OVERLAY, pseudonym=pseudo) is None


def test_the_asker_follows_every_state_without_internals() -> None:
    ev = event("accepted")
    assert private_id(ev) == "v-secret"
    mine = project_for_owner(ev, project(ev, Role.VIEWER, pseudonym=pseudo))
    assert mine is not None and mine["mine"] is True
    assert mine["fu"] == {"state": "accepted", "dept": "roads", "due": "2024-10-08"}
    rejected = project_for_owner(event("not_adopted"), None)
    assert rejected is not None and rejected["fu"]["reason"] == "非本单位"


def test_moderators_get_the_record_without_the_viewer_id() -> None:
    out = project(event("replied"), Role.MODERATOR, pseudonym=pseudo)
    assert out is not None and "asker" not in out and out["fu"]["draft"] == "草稿"


@given(st.sampled_from([s.value for s in FuState if s is not FuState.NONE]),
       st.dictionaries(st.sampled_from(INTERNAL), st.text(max_size=5)))  # fmt: skip
def test_no_internal_field_ever_reaches_a_viewer(state: str, extra: dict[str, str]) -> None:
    ev = event(state, **extra)
    for out in (project(ev, Role.VIEWER, pseudonym=pseudo), project_for_owner(ev, None)):
        if out is None:
            continue
        assert "asker" not in out
        assert not set(out["fu"]) & set(INTERNAL)
        assert "v-secret" not in str(out)
        if state != "not_adopted":
            assert "reason" not in out["fu"]
        if state not in ("published", "closed"):
            assert "reply" not in out["fu"]
