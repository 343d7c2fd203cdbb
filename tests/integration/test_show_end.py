"""The end of a show through the hub, in-process on a real Redis: what the
follow-up triage lists afterwards, and the likes a process holds at the moment
of the end (counted if acknowledged before it, refused after it)."""

from __future__ import annotations

import secrets
from typing import Any

import orjson
import pytest

from server import protocol as p
from server.domain.errors import Rejection
from server.live.commands import Actor
from server.live.hub import Hub
from server.protocol import Role
from server.settings import Settings
from server.store import keys

pytestmark = pytest.mark.anyio
MOD = Actor(Role.MODERATOR, user="alice")


def cid() -> str:
    return secrets.token_hex(6)


class _Socket:
    """What the like desk needs of a connection: who sent it, and where its
    acks go (the frames are kept to be read)."""

    def __init__(self, bid: str, vid: str) -> None:
        self.bid, self.vid, self.tab = bid, vid, "t1"
        self.last_like_id: str | None = None
        self.sent: list[dict[str, Any]] = []

    def send_text(self, text: str) -> None:
        self.sent.append(orjson.loads(text))


async def _live(hub: Hub, *, moderation: bool = True) -> str:
    bid = "e-" + secrets.token_hex(4)
    await hub.store.create_broadcast(bid, title="t", topic="", settings={"moderation": moderation},
                                     overlay_key="k" * 16, user="alice")  # fmt: skip
    await hub.execute(bid, MOD, p.SetBroadcastState(id=cid(), state="live"))
    return bid


async def _ask(hub: Hub, bid: str, vid: str, text: str) -> int:
    done = await hub.execute(bid, Actor(Role.VIEWER, vid=vid), p.Ask(id=cid(), text=text))
    return int(done["qid"])


async def test_unsettled_questions_of_an_ended_show_wait_in_the_triage(redis_url: str) -> None:
    hub = Hub(Settings(redis_url=redis_url))
    try:
        bid = await _live(hub)
        pending = await _ask(hub, bid, "v1", "还在审核的问题")
        approved = await _ask(hub, bid, "v2", "通过了但没回答的问题")
        on_air = await _ask(hub, bid, "v3", "正在回答的问题")
        rejected = await _ask(hub, bid, "v4", "被拒绝的问题")
        for qid, status in ((approved, "approved"), (on_air, "on_air"), (rejected, "rejected")):
            await hub.execute(bid, MOD, p.SetStatus(id=cid(), qid=qid, status=status))
        await hub.execute(bid, MOD, p.SetBroadcastState(id=cid(), state="ended"))
        view = await hub.followup.moderator_view(bid)
        waiting = {row["q"]["id"] for row in view["items"] if row["needs_triage"]}
        # The on-air question was answered by the end; the rejected one was settled in moderation.
        assert waiting == {pending, approved} and view["left"] == 2
        statuses = {row["q"]["id"]: row["q"]["status"] for row in view["items"]}
        assert statuses[on_air] == "answered"
    finally:
        await hub.redis.aclose()
        await hub.tailer.stop()


async def test_likes_held_at_the_end_count_only_if_acknowledged_before_it(
    redis_url: str,
) -> None:
    hub = Hub(Settings(redis_url=redis_url))
    try:
        bid = await _live(hub, moderation=False)
        early, late = _Socket(bid, "v1"), _Socket(bid, "v2")
        assert await hub.likes.receive(early, p.Like(id="l1", n=4))  # type: ignore[arg-type]
        await hub.likes.flush()
        [ack] = early.sent
        assert ack["type"] == "ack" and ack["result"] == {"accepted": 4, "total": 4}
        # Buffered in this process, not yet written, when the show ends.
        assert await hub.likes.receive(late, p.Like(id="l2", n=3))  # type: ignore[arg-type]
        assert hub.likes.pending() == 3 and late.sent == []
        await hub.execute(bid, MOD, p.SetBroadcastState(id=cid(), state="ended"))
        await hub.likes.flush()
        [refusal] = late.sent
        assert (refusal["type"], refusal["id"], refusal["code"]) == ("error", "l2", "closed")
        assert refusal["retryable"] is False and hub.likes.pending() == 0
        assert await hub.redis.get(keys.likes(bid)) == b"4"
        # The viewer's other commands are refused the same way.
        with pytest.raises(Rejection) as info:
            await _ask(hub, bid, "v2", "结束后的问题")
        assert info.value.code == "closed"
    finally:
        await hub.redis.aclose()
        await hub.tailer.stop()
