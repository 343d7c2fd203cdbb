from __future__ import annotations

from server.domain.presence import Presence, expired, live_count

ENTRIES = {"hub-a": (10, 2000), "hub-b": (5, 1000), "hub-c": (7, 999)}


def test_live_count_sums_unexpired_entries() -> None:
    assert live_count(ENTRIES, 0) == 22
    assert live_count(ENTRIES, 999) == 15
    assert live_count(ENTRIES, 1000) == 10  # expires_ms is exclusive
    assert live_count(ENTRIES, 5000) == 0
    assert live_count({}, 0) == 0


def test_expired() -> None:
    assert expired(ENTRIES, 999) == ["hub-c"]
    assert expired(ENTRIES, 1000) == ["hub-b", "hub-c"]
    assert expired(ENTRIES, 0) == []


def test_presence_to_dict() -> None:
    assert Presence(now=3, peak=9, unique=40).to_dict() == {"now": 3, "peak": 9, "unique": 40}
