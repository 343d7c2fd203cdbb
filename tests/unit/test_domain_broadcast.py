from __future__ import annotations

from collections.abc import Mapping

import pytest

from server.domain.broadcast import (
    BROADCAST_ID_RE,
    BROADCAST_TRANSITIONS,
    SCHEDULED_MAX_MS,
    Broadcast,
    BroadcastSettings,
    BroadcastState,
    apply_settings_patch,
    validate_broadcast_id,
    validate_scheduled,
    validate_title,
    validate_topic,
)
from server.domain.errors import Rejection

D, L, E = BroadcastState.DRAFT, BroadcastState.LIVE, BroadcastState.ENDED


@pytest.mark.parametrize(
    ("current", "target", "ok"),
    [(D, L, True), (D, E, True), (L, E, True), (L, D, False), (E, L, True), (E, D, False)],
)
def test_transitions(current: BroadcastState, target: BroadcastState, ok: bool) -> None:
    # The table itself; bc_update.lua applies it (tests/store/test_broadcasts.py).
    assert (target in BROADCAST_TRANSITIONS[current]) is ok


@pytest.mark.parametrize("bid", ["a", "demo", "town-hall-2024", "0", "a" * 32, "x-"])
def test_valid_ids(bid: str) -> None:
    assert validate_broadcast_id(bid) == bid
    assert BROADCAST_ID_RE.match(bid)


@pytest.mark.parametrize("bid", ["", "-a", "A", "a_b", "a" * 33, "a b", "a\n", "é", "a/b", "{a}"])
def test_invalid_ids(bid: str) -> None:
    with pytest.raises(Rejection) as info:
        validate_broadcast_id(bid)
    assert info.value.code == "invalid"
    assert not BROADCAST_ID_RE.match(bid)


def test_settings_round_trip() -> None:
    s = BroadcastSettings(moderation=False, max_len=120, tags=("交通", "教育"), show_names=False)
    d = s.to_dict()
    assert d == {"moderation": False, "max_len": 120, "tags": ["交通", "教育"], "show_names": False}
    assert BroadcastSettings.from_dict(d) == s
    assert BroadcastSettings.from_dict({}) == BroadcastSettings()


def test_tags_are_normalised() -> None:
    s = BroadcastSettings.from_dict({"tags": [" 交通\u200b ", "教 育"]})
    assert s.tags == ("交通", "教 育")


@pytest.mark.parametrize(
    "patch",
    [
        pytest.param({"colour": "red"}, id="unknown-key"),
        pytest.param({"moderation": 1}, id="int-as-bool"),
        pytest.param({"moderation": "true"}, id="str-as-bool"),
        pytest.param({"max_len": True}, id="bool-as-int"),
        pytest.param({"max_len": 9}, id="max-len-low"),
        pytest.param({"max_len": 1001}, id="max-len-high"),
        pytest.param({"max_len": 100.0}, id="float-as-int"),
        pytest.param({"tags": "a,b"}, id="tags-not-list"),
        pytest.param({"tags": [1]}, id="tag-not-str"),
        pytest.param({"tags": [""]}, id="empty-tag"),
        pytest.param({"tags": ["a" * 21]}, id="long-tag"),
        pytest.param({"tags": ["a", " a "]}, id="duplicate-tag"),
        pytest.param({"tags": [str(i) for i in range(31)]}, id="too-many-tags"),
    ],
)
def test_invalid_settings(patch: Mapping[str, object]) -> None:
    with pytest.raises(Rejection) as info:
        apply_settings_patch(BroadcastSettings(), patch)
    assert info.value.code == "invalid"
    with pytest.raises(Rejection):
        BroadcastSettings.from_dict(patch)


def test_patch_changes_only_given_fields() -> None:
    base = BroadcastSettings(tags=("a",))
    patched = apply_settings_patch(base, {"max_len": 10, "show_names": False})
    assert patched == BroadcastSettings(max_len=10, tags=("a",), show_names=False)
    assert apply_settings_patch(base, {}) == base
    assert apply_settings_patch(base, {"max_len": 1000}).max_len == 1000


def test_title_and_topic() -> None:
    assert validate_title("  市民议事厅\n第3期 ") == "市民议事厅 第3期"
    assert validate_topic(None) == ""
    assert validate_topic("") == ""
    assert validate_topic("t" * 200) == "t" * 200
    with pytest.raises(Rejection, match="empty"):
        validate_title(" \u200b ")
    for bad_title, code in [("t" * 101, "too_long"), (3, "invalid"), (None, "invalid")]:
        with pytest.raises(Rejection) as info:
            validate_title(bad_title)
        assert info.value.code == code
    with pytest.raises(Rejection):
        validate_topic("t" * 201)
    with pytest.raises(Rejection):
        validate_topic(["x"])


def test_broadcast_to_public() -> None:
    b = Broadcast("demo", "议事厅", "", BroadcastState.LIVE, BroadcastSettings(), 5, None)
    assert b.to_public() == {
        "id": "demo",
        "title": "议事厅",
        "topic": "",
        "state": "live",
        "settings": BroadcastSettings().to_dict(),
        "created": 5,
        "scheduled": None,
        "rehearsal": False,
    }


@pytest.mark.parametrize("good", [None, 0, 1_732_540_000_000, SCHEDULED_MAX_MS])
def test_scheduled_is_unix_ms_or_none(good: int | None) -> None:
    assert validate_scheduled(good) == good


@pytest.mark.parametrize("bad", [True, -1, SCHEDULED_MAX_MS + 1, 1.5, "1732540000000", [1]])
def test_scheduled_refuses_anything_else(bad: object) -> None:
    with pytest.raises(Rejection) as info:
        validate_scheduled(bad)
    assert info.value.code == "invalid"
