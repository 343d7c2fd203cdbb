"""A hub process going away under its clients: SIGTERM and kill -9 (docs/reliability.md 5, 6).

Two hub processes share one Redis of the test's own. The clients are on the
first; while it is down a moderator keeps working through the second. When the
first is back (same address, new process) every client resumes from its last
position and must end with exactly the events it missed: none twice, none
missing, the same state as a fresh client's.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from server.client import Disconnected, HubClient
from server.domain.projection import private_id, project
from server.domain.resume import parse_stream_id
from server.protocol import Role
from tests.integration import harness
from tests.integration.faults import (
    closing,
    eventually,
    in_thread,
    positions,
    redis_client,
    running_hubs,
    scrape,
    stream,
)

pytestmark = pytest.mark.anyio

Json = dict[str, Any]

# Event types compared one by one; likes, presence and tallies are coalesced
# (only the latest of a frame is sent), so they are compared through the state.
EXACT = ("question", "question_removed", "votes", "poll", "overlay", "broadcast")
PRESENCE = {"PRESENCE_INTERVAL_S": "0.5", "PRESENCE_TTL_S": "2"}
# After a kill: the TTL, one report interval of the live process, and slack.
PRESENCE_DEADLINE_S = 2 + 0.5 + 1.5
# Long enough that a like sent just before the hub goes down is still buffered.
SLOW_FLUSH = {"LIKES_FLUSH_MS": "1000"}


def vid_of(client: HubClient) -> str:
    """The viewer id inside the signed cookie (``<vid>.<signature>``)."""
    return client.cookies["xs_vid"].rpartition(".")[0]


def visible(event: Json, role: Role, vid: str | None) -> bool:
    """Whether ``role`` (and this viewer) receives the stored event at all."""
    if role is Role.VIEWER and vid is not None and private_id(event) == vid:
        return True
    return project(event, role, pseudonym=str) is not None


def missed(events: list[tuple[str, Json]], after: str, role: Role, vid: str | None) -> list[str]:
    """Positions of the EXACT-type events after ``after`` the client should receive."""
    start = parse_stream_id(after)
    out = []
    for pos, event in events:
        if parse_stream_id(pos) <= start or not visible(event, role, vid):
            continue
        shown = project(event, role, pseudonym=str)
        kind = shown["type"] if shown is not None else event["type"]
        if kind in EXACT:
            out.append(pos)
    return out


def view(client: HubClient) -> Json:
    """What a page shows, independent of whether it came from a snapshot or events."""
    s = client.state

    def q(item: Json) -> tuple[Any, ...]:
        return (item["text"], item["status"], item["votes"], item["starred"], item["edited"])

    return {
        "questions": {i: q(item) for i, item in s.questions.items()},
        "mine": {i: q(item) for i, item in s.mine.items()},
        "myvotes": s.myvotes,
        "polls": {
            i: (p.get("state"), p.get("tallies"), p.get("ballots"), p.get("mine"))
            for i, p in s.polls.items()
        },
        "likes": s.likes,
        "on_air": s.on_air["id"] if s.on_air else None,
        "broadcast": (s.broadcast.get("title"), s.broadcast.get("state")),
        "overlay": s.overlay,
        "epoch": s.epoch,
    }


async def acked(client: HubClient, type: str, **fields: Any) -> Json:
    reply = await client.command(type, **fields)
    assert reply["type"] == "ack", reply
    result: Json = reply["result"]
    return result


async def mod_ok(mod: harness.Moderator, bid: str, type: str, base: str, **fields: Any) -> Json:
    reply = await mod.command(bid, type, base=base, **fields)
    assert reply.get("type") == "ack", reply
    result: Json = reply["result"]
    return result


@pytest.mark.parametrize("how", ["sigterm", "kill9"])
async def test_hub_goes_down_clients_resume_exactly(
    embedded_redis: Any, tmp_path: Path, how: str
) -> None:
    """SIGTERM: sockets close with 1012 and buffered likes are flushed first.
    kill -9: sockets drop (1006), the unflushed batch is lost and resent, and
    the dead process stops counting viewers within the presence TTL. Either
    way every client resumes exactly and ends where a fresh client starts."""
    url = embedded_redis.url
    with running_hubs(2, url, tmp_path, **PRESENCE, **SLOW_FLUSH) as (first, second):
        mod = await harness.new_moderator(url, first.base)
        bid = (await mod.create_broadcast(settings={"moderation": True}))["id"]
        asker = await harness.viewer(first.base, bid)
        other = await harness.viewer(first.base, bid)
        console = mod.client(bid)
        clients = (asker, other, console)
        async with closing(*clients) as opened:
            for client in clients:
                await client.connect()
            q1, q2, q3 = [(await acked(asker, "ask", text=f"问题{i}"))["qid"] for i in (1, 2, 3)]
            for q in (q1, q3):
                await acked(console, "q.status", qid=q, status="approved")
            await acked(other, "upvote", qid=q1, on=True)
            await asker.wait_state(lambda s: s.presence.get("now") == 2)
            # A like still in the hub's buffer when it goes down: an ack comes
            # right after a flush, so the next flush is 1 s away; the reply to a
            # later command shows the hub took the batch.
            assert (await acked(asker, "like", n=6))["accepted"] == 6
            late = asyncio.ensure_future(asker.command("like", id="late-batch", n=9, timeout=5))
            assert (await asker.command("upvote", qid=999, on=True))["code"] == "not_found"

            down_at = time.monotonic()
            await in_thread(first.stop if how == "sigterm" else first.kill)
            for client in clients:
                code = await client.wait_closed(timeout=5)
                assert code == (1012 if how == "sigterm" else 1006), (client.role, code)
            with pytest.raises(Disconnected):
                await late  # its ack could not be delivered
            left_at = {client: str(client.pos) for client in clients}
            marks = {client: client.mark() for client in clients}
            async with redis_client(url) as redis:
                flushed = int(await redis.get(f"xs:{{{bid}}}:likes") or 0)
            # SIGTERM flushes what was accepted; kill -9 loses the unacked batch.
            assert flushed == (6 + 9 if how == "sigterm" else 6)

            # The moderator carries on through the second process meanwhile.
            via = second.base
            await mod_ok(mod, bid, "q.status", via, qid=q2, status="approved")
            await mod_ok(mod, bid, "q.status", via, qid=q1, status="on_air")
            await mod_ok(mod, bid, "q.status", via, qid=q3, status="rejected", reason="重复")
            await mod_ok(mod, bid, "q.edit", via, qid=q2, text="问题2(已编辑)")
            poll = (await mod_ok(mod, bid, "poll.create", via, question="哪天开会?",
                                 options=["周一", "周二"], multi=False))["poll"]  # fmt: skip
            await mod_ok(mod, bid, "poll.state", via, poll=poll, state="open")
            await mod_ok(mod, bid, "overlay", via, show="poll", poll=poll)

            await in_thread(first.start)  # a new process on the same address
            for client in clients:
                welcome = await client.connect(resume=True)
                assert welcome["resume"] == "recovered", (client.role, welcome)
            if how == "kill9":
                # The dead process's viewers stop counting within the presence TTL.
                async with redis_client(url) as redis:
                    live = await eventually(
                        lambda: _live_presence(redis, bid), lambda found: len(found) == 1,
                        timeout=max(0.1, down_at + PRESENCE_DEADLINE_S - time.monotonic()),
                    )  # fmt: skip
                assert list(live.values()) == [2]
                await asker.wait_state(lambda s: s.presence.get("now") == 2, timeout=2)

            # The unacked batch, resent with its id: counted once in any case.
            resent = await asker.command("like", id="late-batch", n=9)
            assert resent["type"] == "ack", resent
            if how == "sigterm":
                assert resent["result"] == {"accepted": 0, "duplicate": True}
            else:
                assert resent["result"]["accepted"] == 9
            last = (await mod_ok(mod, bid, "q.star", via, qid=q1, on=True))["pos"]
            for client in clients:
                await client.wait_for(lambda e, last=last: e.get("pos") == last)
                await client.wait_state(lambda s: s.likes == 6 + 9)

            async with redis_client(url) as redis:
                events = await stream(redis, bid)
                assert int(await redis.get(f"xs:{{{bid}}}:likes")) == 6 + 9
            for client, role, vid in (
                (asker, Role.VIEWER, vid_of(asker)),
                (other, Role.VIEWER, vid_of(other)),
                (console, Role.MODERATOR, None),
            ):
                got = positions(client, *EXACT, since=marks[client])
                assert got == missed(events, left_at[client], role, vid), client.role
                assert client.state.duplicates == 0
                twin = HubClient(first.base, bid, client.role, cookies=client.cookies,
                                 record=True)  # fmt: skip
                opened.append(twin)
                await twin.connect()
                await twin.wait_state(lambda s: s.snapshots == 1)
                assert view(client) == view(twin), client.role
            metrics = await scrape(first.base)
            assert metrics.value("xs_resumes_total", outcome="recovered") == 3


async def _live_presence(redis: Any, bid: str) -> dict[str, int]:
    """Presence entries of hub processes that have not expired: process -> viewers."""
    now_ms = int(time.time() * 1000)
    raw = await redis.hgetall(f"xs:{{{bid}}}:presence")
    live = {}
    for field, value in raw.items():
        if field.startswith(b"_"):
            continue
        count, _, expires = value.decode().partition(":")
        if int(expires) > now_ms:
            live[field.decode()] = int(count)
    return live
