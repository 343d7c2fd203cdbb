from __future__ import annotations

import pytest

from server.domain.errors import Code, Rejection


def test_rejection_carries_code_message_and_retryable() -> None:
    r = Rejection(Code.RATE_LIMITED, "too many questions; try again in 20 seconds", retryable=True)
    assert r.code == "rate_limited"
    assert type(r.code) is str
    assert r.message == "too many questions; try again in 20 seconds"
    assert str(r) == r.message
    assert r.retryable is True
    assert not Rejection(Code.INVALID, "bad").retryable


def test_every_project_code_is_defined() -> None:
    expected = {
        "invalid", "empty", "too_long", "not_found", "conflict", "forbidden",
        "rate_limited", "duplicate", "closed", "unavailable", "banned",
    }  # fmt: skip
    assert {c.value for c in Code} == expected


def test_a_rejection_takes_only_a_code_member() -> None:
    with pytest.raises(ValueError):
        Rejection("no_such_code", "x")  # type: ignore[arg-type]
    assert Rejection(Code.BANNED, "x").code == "banned"
