"""Webhooks, the pure part: events, signatures, backoff, where a hook may point."""

from __future__ import annotations

import pytest

from server.domain.errors import Rejection
from server.domain.webhooks import (
    HookEvent,
    address_allowed,
    backoff_s,
    check_addresses,
    check_events,
    parse_url,
    sign,
    verify,
    webhook_events,
)

Q = {"id": 3, "text": "公交线路", "name": "张三", "tag": "交通", "votes": 2}


def q_event(status: str, prev: str | None) -> dict[str, object]:
    return {"type": "question", "q": {**Q, "status": status}, "asker": "secret-vid", "prev": prev}


@pytest.mark.parametrize(
    ("status", "prev", "expected"),
    [
        ("approved", "pending", [HookEvent.QUESTION_APPROVED]),
        ("approved", None, [HookEvent.QUESTION_APPROVED]),  # asked without moderation
        ("approved", "on_air", []),  # back from the air: not a new approval
        ("on_air", "approved", [HookEvent.QUESTION_ON_AIR]),
        ("answered", "on_air", [HookEvent.QUESTION_ANSWERED]),
        ("pending", None, []),
        ("rejected", "pending", []),
        ("approved", "approved", []),  # an edit
    ],
)
def test_question_events(status: str, prev: str | None, expected: list[HookEvent]) -> None:
    found = webhook_events(q_event(status, prev), show_names=True)
    assert [o.event for o in found] == expected
    for o in found:
        assert "secret-vid" not in str(o.data) and o.data["question"]["name"] == "张三"


def test_names_hidden_when_the_broadcast_hides_them() -> None:
    (o,) = webhook_events(q_event("on_air", "approved"), show_names=False)
    assert o.data["question"]["name"] == "匿名"


def test_poll_and_broadcast_events() -> None:
    spec = {"id": 1, "question": "好吗", "options": ["好", "不好"], "tallies": [3, 1],
            "ballots": 4, "state": "closed"}  # fmt: skip
    poll = {"type": "poll", "poll": spec}
    (o,) = webhook_events(poll, show_names=True)
    assert o.event is HookEvent.POLL_CLOSED
    assert o.data["poll"]["options"][0] == {"text": "好", "votes": 3}
    still_open = {"type": "poll", "poll": {**spec, "state": "open"}}
    assert webhook_events(still_open, show_names=True) == []
    live = {"type": "broadcast", "b": {"id": "b", "state": "live"}, "prev": "draft"}
    assert [o.event for o in webhook_events(live, show_names=True)] == [HookEvent.BROADCAST_STARTED]
    edit = {**live, "prev": "live"}
    assert webhook_events(edit, show_names=True) == []
    ended = {"type": "broadcast", "b": {"id": "b", "state": "ended"}, "prev": "live"}
    assert [o.event for o in webhook_events(ended, show_names=True)] == [HookEvent.BROADCAST_ENDED]
    assert webhook_events({"type": "likes", "total": 3}, show_names=True) == []


def test_signature_round_trip_and_replay_window() -> None:
    body = b'{"a":1}'
    header = sign("s" * 32, 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=")
    assert verify("s" * 32, header, body, 1_700_000_100)
    assert not verify("s" * 32, header, body + b" ", 1_700_000_100)
    assert not verify("x" * 32, header, body, 1_700_000_100)
    assert not verify("s" * 32, header, body, 1_700_000_000 + 301)  # too old: a replay


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_s(n, 2, 30) for n in (1, 2, 3, 4, 5, 6)] == [2, 4, 8, 16, 30, 30]


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/", "file:///etc/passwd", "javascript:alert(1)", "http://", "",
     "http://user:pw@example.com/", "https://exa mple.com/", "gopher://x/", "http://x:99999/"],
)  # fmt: skip
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(Rejection):
        parse_url(url)


def test_url_parts() -> None:
    t = parse_url("https://portal.example.gov.cn/hook?k=1")
    assert (t.scheme, t.host, t.port) == ("https", "portal.example.gov.cn", 443)
    assert t.path == "/hook?k=1"
    assert parse_url("http://127.0.0.1:8080").path == "/"


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "::1", "fe80::1",
     "fc00::1", "0.0.0.0", "::ffff:127.0.0.1", "100.64.0.1", "224.0.0.1", "not-an-ip"],
)  # fmt: skip
def test_private_addresses_are_refused(address: str) -> None:
    assert not address_allowed(address, allow_private=False)


def test_public_and_allowed_private_addresses() -> None:
    assert address_allowed("93.184.216.34", allow_private=False)
    assert address_allowed("2606:2800:220:1:248:1893:25c8:1946", allow_private=False)
    assert address_allowed("127.0.0.1", allow_private=True)
    assert not address_allowed("224.0.0.1", allow_private=True)  # multicast: never
    with pytest.raises(Rejection):
        check_addresses(["93.184.216.34", "10.0.0.1"], allow_private=False)  # either may be used
    with pytest.raises(Rejection):
        check_addresses([], allow_private=True)


def test_events_are_checked() -> None:
    assert check_events(["poll.closed", "question.approved", "poll.closed"]) == [
        HookEvent.POLL_CLOSED, HookEvent.QUESTION_APPROVED,
    ]  # fmt: skip
    for bad in ([], ["nope"], "poll.closed", [1], None):
        with pytest.raises(Rejection):
            check_events(bad)


def test_a_published_reply() -> None:
    """The follow-up workflow's event (type ``followup``, the record's state in ``fu``)."""
    fu = {"state": "published", "reply": "已增设站点", "reply_link": "https://x.gov.cn/r/7"}
    event = {"type": "followup", "qid": 7, "prev": "replied", "asker": "vid-x", "fu": fu}
    (o,) = webhook_events(event, show_names=True)
    assert o.event is HookEvent.REPLY_PUBLISHED
    assert o.data == {"reply": {"qid": 7, "reply": "已增设站点", "link": "https://x.gov.cn/r/7"}}
    assert webhook_events({**event, "prev": "published"}, show_names=True) == []  # an edit
    assert webhook_events({**event, "fu": {"state": "replied"}}, show_names=True) == []
