from __future__ import annotations

import pytest

from server.domain.broadcast import BroadcastSettings
from server.domain.errors import Rejection
from server.domain.question import (
    ANONYMOUS,
    QUESTION_TRANSITIONS,
    QuestionStatus,
    validate_edit,
    validate_new_question,
    validate_reason,
)
from server.domain.text import fingerprint
from server.domain.transitions import allowed_from
from server.protocol import PUBLIC_STATUSES

S = QuestionStatus
SETTINGS = BroadcastSettings(max_len=20, tags=("交通", "教育"))

LEGAL = {
    (S.PENDING, S.APPROVED), (S.PENDING, S.REJECTED), (S.PENDING, S.ON_AIR),
    (S.APPROVED, S.ON_AIR), (S.APPROVED, S.REJECTED), (S.APPROVED, S.PENDING),
    (S.APPROVED, S.ANSWERED),
    (S.ON_AIR, S.ANSWERED), (S.ON_AIR, S.APPROVED),
    (S.ANSWERED, S.APPROVED), (S.ANSWERED, S.ON_AIR),
    (S.REJECTED, S.PENDING), (S.REJECTED, S.APPROVED),
}  # fmt: skip


def test_table_and_public_statuses() -> None:
    # The table itself; set_status.lua applies it (tests/store/test_questions.py).
    assert {(a, b) for a, bs in QUESTION_TRANSITIONS.items() for b in bs} == LEGAL
    assert set(PUBLIC_STATUSES) == {S.APPROVED, S.ON_AIR, S.ANSWERED}  # statuses of the enum
    for target in S:
        expected = sorted(a.value for a, b in LEGAL if b == target)
        assert allowed_from(QUESTION_TRANSITIONS, target) == expected
    assert allowed_from(QUESTION_TRANSITIONS, S.ON_AIR) == ["answered", "approved", "pending"]
    assert allowed_from(QUESTION_TRANSITIONS, S.MERGED) == []


def test_new_question_is_normalised() -> None:
    q = validate_new_question("  公交  太挤\u200b了？ ", " 小王\n", "交通", SETTINGS, 24)
    assert (q.text, q.name, q.tag) == ("公交 太挤了？", "小王", "交通")
    assert q.fingerprint == fingerprint("公交 太挤了？")


@pytest.mark.parametrize(("name", "tag"), [(None, None), ("", ""), (" \u200b", None)])
def test_defaults(name: str | None, tag: str | None) -> None:
    q = validate_new_question("问题", name, tag, SETTINGS, 24)
    assert q.name == ANONYMOUS
    assert q.tag is None


def test_hidden_names_are_still_stored() -> None:
    q = validate_new_question("问题", "小王", None, BroadcastSettings(show_names=False), 24)
    assert q.name == "小王"


@pytest.mark.parametrize(
    ("text", "name", "tag", "code"),
    [
        pytest.param(None, None, None, "invalid", id="text-none"),
        pytest.param(5, None, None, "invalid", id="text-int"),
        pytest.param("q", 5, None, "invalid", id="name-int"),
        pytest.param("q", None, 1, "invalid", id="tag-int"),
        pytest.param("q", None, "体育", "invalid", id="unknown-tag"),
        pytest.param("q", None, "交" * 40, "invalid", id="huge-tag"),
        pytest.param(" \n ", None, None, "empty", id="empty"),
        pytest.param("问" * 21, None, None, "too_long", id="too-long"),
        pytest.param("q", "名" * 25, None, "too_long", id="long-name"),
    ],
)
def test_invalid_questions(text: object, name: object, tag: object, code: str) -> None:
    with pytest.raises(Rejection) as info:
        validate_new_question(text, name, tag, SETTINGS, 24)
    assert info.value.code == code


def test_unknown_tag_message() -> None:
    with pytest.raises(Rejection, match="unknown tag '体育'"):
        validate_new_question("q", None, "体育", SETTINGS, 24)


def test_edit_and_reason() -> None:
    assert validate_edit(" 改正后 ", SETTINGS) == "改正后"
    with pytest.raises(Rejection):
        validate_edit("x" * 21, SETTINGS)
    with pytest.raises(Rejection):
        validate_edit(None, SETTINGS)
    assert validate_reason(None) == ""
    assert validate_reason(" 重复\n问题 ") == "重复 问题"
    assert validate_reason("r" * 200) == "r" * 200
    for bad in ("r" * 201, 3):
        with pytest.raises(Rejection):
            validate_reason(bad)
