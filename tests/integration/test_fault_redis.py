"""Redis faults under a running hub: kill -9, rollback, lost replies (docs/reliability.md 1-4).

Each test has a redis-server of its own (the ``embedded_redis`` fixture) that it
kills, restarts or rolls back, and a hub process of its own on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis

from server.client import HubClient
from server.domain import question as qn
from server.domain.resume import parse_stream_id
from server.domain.transitions import allowed_from
from server.settings import Settings
from server.store.redis_client import command_client
from server.store.store import Store
from tests.integration import harness
from tests.integration.faults import (
    closing,
    eventually,
    get,
    in_thread,
    positions,
    redis_client,
    running_hub,
    scrape,
    stream,
)

pytestmark = pytest.mark.anyio

Json = dict[str, Any]

# Fast failure and fast recovery: a 1 s command timeout, a 1 s XREAD BLOCK.
FAST = {"REDIS_TIMEOUT_S": "1", "TAIL_BLOCK_MS": "1000", "QUESTIONS_BURST": "50"}
# How soon after Redis answers again the hub must serve (docs/reliability.md 1: "within seconds").
RECOVERY_S = 5.0


def new_id() -> str:
    return secrets.token_hex(8)


async def acked(client: HubClient, type: str, **fields: Any) -> Json:
    reply = await client.command(type, **fields)
    assert reply["type"] == "ack", reply
    result: Json = reply["result"]
    return result


async def retry_until_acked(client: HubClient, type: str, cid: str, **fields: Any) -> Json:
    """Resend one command with the same id until it is acked (RECOVERY_S at most)."""
    deadline = time.monotonic() + RECOVERY_S
    while True:
        reply = await client.command(type, id=cid, **fields)
        if reply["type"] == "ack":
            result: Json = reply["result"]
            return result
        assert reply["code"] == "unavailable" and reply["retryable"] is True, reply
        assert time.monotonic() < deadline, f"{type} {cid} not served {RECOVERY_S} s after restart"
        await asyncio.sleep(0.05)


def unavailable(reply: Json) -> bool:
    return (
        reply["type"] == "error" and reply["code"] == "unavailable" and reply["retryable"] is True
    )


# --- 1 and 4: kill -9 mid-show ------------------------------------------------------------


async def test_redis_killed_mid_show(embedded_redis: Any, tmp_path: Path) -> None:
    """Two kill -9 / restart cycles while a viewer asks, upvotes and likes and a
    moderator approves: nothing is acked while Redis is down, the same ids are
    acked after it returns, and every acked write and every event survives."""
    with running_hub(embedded_redis.url, tmp_path, **FAST) as hub:
        mod = await harness.new_moderator(embedded_redis.url, hub.base)
        bid = (await mod.create_broadcast())["id"]
        viewer = await harness.viewer(hub.base, bid)
        # The viewer's questions are upvoted by another (no self-upvote).
        supporter = await harness.viewer(hub.base, bid)
        console = mod.client(bid)
        async with closing(viewer, supporter, console):
            await viewer.connect()
            await supporter.connect()
            await console.connect()
            before = await scrape(hub.base)
            statuses: dict[int, str] = {}  # qid -> status of the last acked change
            upvoted: set[int] = set()
            likes_accepted = (await acked(viewer, "like", n=3))["accepted"]

            for cycle in range(2):
                # Serving: a question, its approval, an upvote.
                qid = (await acked(viewer, "ask", text=f"问题 {cycle} 上线"))["qid"]
                statuses[qid] = "pending"
                await acked(console, "q.status", qid=qid, status="approved")
                statuses[qid] = "approved"
                await acked(supporter, "upvote", qid=qid, on=True)
                upvoted.add(qid)

                await in_thread(embedded_redis.kill)
                down_at = time.monotonic()
                # A like is buffered and acked only by the flush that writes it.
                like_id = new_id()
                like = asyncio.ensure_future(viewer.command("like", id=like_id, n=4, timeout=30))
                ask_id, approve_id, vote_id = new_id(), new_id(), new_id()
                text = f"问题 {cycle} 在 Redis 停机时"
                assert unavailable(await viewer.command("ask", id=ask_id, text=text))
                assert unavailable(await supporter.command("upvote", id=vote_id, qid=qid, on=False))
                assert unavailable(
                    await console.command("q.status", id=approve_id, qid=qid, status="on_air")
                )
                ready = await get(hub.base, "/readyz")
                assert ready.status_code == 503 and ready.json()["redis"] == "unreachable"
                assert (await get(hub.base, "/healthz")).status_code == 200
                # Two flush intervals at least, so a wrongly acked like would show.
                await asyncio.sleep(max(0.0, 0.5 - (time.monotonic() - down_at)))
                assert not like.done(), like.result()

                await in_thread(embedded_redis.restart)
                back_at = time.monotonic()
                new_qid = (await retry_until_acked(viewer, "ask", ask_id, text=text))["qid"]
                assert time.monotonic() - back_at < RECOVERY_S
                statuses[new_qid] = "pending"
                await retry_until_acked(console, "q.status", approve_id, qid=qid, status="on_air")
                # One question on air at a time: the previous one became answered.
                statuses.update({q: "answered" for q, s in statuses.items() if s == "on_air"})
                statuses[qid] = "on_air"
                await retry_until_acked(supporter, "upvote", vote_id, qid=qid, on=False)
                upvoted.discard(qid)
                liked = await like
                assert liked["type"] == "ack", liked
                likes_accepted += liked["result"]["accepted"]
                # A resend of an acked command returns the original result.
                again = await acked(viewer, "ask", id=ask_id, text=text)
                assert again["qid"] == new_qid
                await eventually(
                    lambda: get(hub.base, "/readyz"), lambda r: r.status_code == 200,
                    timeout=RECOVERY_S,
                )  # fmt: skip
                # Events written after this restart reach both clients.
                last = (await acked(console, "q.status", qid=new_qid, status="approved"))["pos"]
                statuses[new_qid] = "approved"
                for client in (viewer, console):
                    await client.wait_for(lambda e, last=last: e.get("pos") == last)

            total = (await acked(viewer, "like", n=2))["total"]
            likes_accepted += 2
            async with redis_client(embedded_redis.url) as redis:
                p = f"xs:{{{bid}}}:"
                for q, status in statuses.items():
                    assert (await redis.hget(f"{p}q:{q}", "status")).decode() == status, q
                for q in statuses:
                    assert await redis.scard(f"{p}qv:{q}") == (1 if q in upvoted else 0), q
                assert int(await redis.get(f"{p}likes")) == likes_accepted == total
                events = await stream(redis, bid)

            # Once each, in order: the question and votes events each client got
            # are exactly those in Redis after its snapshot.
            for client in (viewer, console):
                start = parse_stream_id(client.log[0]["pos"])  # its snapshot
                wanted = [
                    pos for pos, e in events
                    if e["type"] in ("question", "votes") and parse_stream_id(pos) > start
                ]  # fmt: skip
                assert client.state.duplicates == 0
                assert positions(client, "question", "votes") == wanted
            # Each failed command, each failed flush, each tailer read counts.
            after = await scrape(hub.base)
            for op, at_least in (("command", 6), ("likes_flush", 2), ("xread", 2), ("ping", 2)):
                grew = after.value("xs_redis_errors_total", op=op) - before.value(
                    "xs_redis_errors_total", op=op
                )
                assert grew >= at_least, (op, grew)


# --- 2: rolled back -----------------------------------------------------------------------


async def test_redis_rolled_back(embedded_redis: Any, tmp_path: Path) -> None:
    """Redis comes back with an older copy of its data: every client gets a full
    snapshot of the older state (no phantom items), and so does a client that
    reconnects with a position only the lost data had."""
    aof = embedded_redis.data_dir / "appendonlydir"
    with running_hub(embedded_redis.url, tmp_path, **FAST) as hub:
        mod = await harness.new_moderator(embedded_redis.url, hub.base)
        bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
        staying = await harness.viewer(hub.base, bid)
        leaving = await harness.viewer(hub.base, bid)
        console = mod.client(bid)
        async with closing(staying, leaving, console):
            for client in (staying, leaving, console):
                await client.connect()
            kept = [(await acked(staying, "ask", text=f"保留的问题 {i}"))["qid"] for i in (1, 2)]
            kept_likes = (await acked(staying, "like", n=7))["total"]
            await acked(console, "q.status", qid=kept[0], status="on_air")

            # The copy: Redis stopped cleanly, so its AOF holds everything so far.
            await in_thread(embedded_redis.stop)
            await in_thread(lambda: shutil.copytree(aof, tmp_path / "aof-copy"))
            await in_thread(embedded_redis.restart)

            # Writes the rollback will lose; every client sees them first.
            phantom = await retry_until_acked(staying, "ask", new_id(), text="将会消失的问题")
            poll = await retry_until_acked(
                console, "poll.create", new_id(), question="将会消失的投票", options=["甲", "乙"],
                multi=False,
            )  # fmt: skip
            await retry_until_acked(
                console, "poll.state", new_id(), poll=poll["poll"], state="open"
            )
            await acked(staying, "like", n=5)
            last = (await acked(console, "q.status", qid=kept[1], status="on_air"))["pos"]
            for client in (staying, leaving, console):
                await client.wait_for(lambda e, last=last: e.get("pos") == last)
                assert phantom["qid"] in client.state.questions and client.state.polls
            old_epoch = staying.epoch
            await leaving.close()  # keeps the epoch and position of the lost data

            await in_thread(embedded_redis.stop)
            await in_thread(lambda: shutil.rmtree(aof))
            await in_thread(lambda: shutil.copytree(tmp_path / "aof-copy", aof))
            marks = {staying: staying.mark(), console: console.mark()}
            await in_thread(embedded_redis.restart)

            for client, mark in marks.items():
                snap = await client.wait_for(lambda e: e["type"] == "snapshot", 10, since=mark)
                assert snap["epoch"] != old_epoch
            welcome = await leaving.connect(resume=True)
            assert welcome["resume"] == "epoch_changed" and welcome["epoch"] != old_epoch
            await leaving.wait_state(lambda s: s.epoch == welcome["epoch"])

            for client in (staying, leaving, console):
                state = client.state
                assert sorted(state.questions) == sorted(kept), client.role
                assert state.polls == {}
                assert state.likes == kept_likes
                assert state.on_air is not None and state.on_air["id"] == kept[0]
                assert state.duplicates == 0

            # Serving goes on in the new epoch; the next question reuses the lost id.
            reused = await acked(staying, "ask", text="回滚之后的问题")
            assert reused["qid"] == phantom["qid"]
            for client in (staying, leaving, console):
                await client.wait_for(lambda e, pos=reused["pos"]: e.get("pos") == pos)
                assert client.state.questions[reused["qid"]]["text"] == "回滚之后的问题"
            resumes = await scrape(hub.base)
            assert resumes.value("xs_resumes_total", outcome="epoch_changed") == 1


# --- 3: lost replies ----------------------------------------------------------------------


class ReplyLoser:
    """A TCP proxy in front of a Redis unix socket that can lose one script reply.

    When armed, the reply to the next EVALSHA that Redis *executed* is swallowed
    and both sides are closed: the client sees a dropped connection after the
    write happened, exactly the case redis-py's retry must survive.
    """

    def __init__(self, unix_path: Path) -> None:
        self.unix_path = unix_path
        self.armed = False
        self.lost = 0
        self.url = ""
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> ReplyLoser:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"redis://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_unix_connection(str(self.unix_path))
        self._writers |= {writer, up_writer}
        request = b""

        async def client_to_redis() -> None:
            nonlocal request
            while data := await reader.read(1 << 16):
                request = data
                up_writer.write(data)
                await up_writer.drain()

        async def redis_to_client() -> None:
            while data := await up_reader.read(1 << 16):
                # NOSCRIPT means nothing ran (redis-py loads the script and resends).
                if self.armed and b"EVALSHA" in request.upper() and not data.startswith(b"-"):
                    self.armed = False
                    self.lost += 1
                    return
                writer.write(data)
                await writer.drain()

        try:
            tasks = [
                asyncio.ensure_future(client_to_redis()),
                asyncio.ensure_future(redis_to_client()),
            ]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            for w in (writer, up_writer):
                self._writers.discard(w)
                w.close()
                with contextlib.suppress(OSError):
                    await w.wait_closed()


@pytest.fixture
async def lossy_store(
    embedded_redis: Any,
) -> AsyncIterator[tuple[Store, ReplyLoser, aioredis.Redis]]:
    """A Store whose Redis client (the hub's, retries included) goes through a ReplyLoser."""
    async with ReplyLoser(embedded_redis.socket_path) as loser:
        settings = Settings(redis_url=loser.url)
        client = command_client(settings)
        try:
            async with redis_client(embedded_redis.url) as direct:
                yield Store(client, settings), loser, direct
        finally:
            await client.aclose()


VID, OTHER_VID = "v" + "1" * 21, "v" + "2" * 21


async def _question(store: Store, bid: str) -> int:
    result = await store.ask(bid, new_id(), vid=OTHER_VID, text="已有的问题", name="", tag=None,
                             fp=new_id())  # fmt: skip
    return int(result["qid"])


async def _poll(store: Store, bid: str, *, open_it: bool) -> int:
    poll = await store.create_poll(bid, new_id(), user="t", question="哪天?", options=["一", "二"],
                                   multi=False, results="always")  # fmt: skip
    pid = int(poll["poll"])
    if open_it:
        await store.set_poll_state(bid, new_id(), user="t", pid=pid, target="open",
                                   allowed_from=["draft"])  # fmt: skip
    return pid


# Each write as (store, broadcast, idempotency id, the question or poll it needs).
Write = Callable[[Store, str, str, int], Awaitable[Json]]


def _ask(s: Store, bid: str, idem: str, _: int) -> Awaitable[Json]:
    return s.ask(bid, idem, vid=VID, text="新问题", name="", tag=None, fp="fp")


def _on_air(s: Store, bid: str, idem: str, qid: int) -> Awaitable[Json]:
    allowed = allowed_from(qn.QUESTION_TRANSITIONS, qn.QuestionStatus.ON_AIR)
    return s.set_status(bid, idem, user="t", qid=qid, target="on_air", allowed_from=allowed,
                        expect=None, reason="")  # fmt: skip


def _create_poll(s: Store, bid: str, idem: str, _: int) -> Awaitable[Json]:
    return s.create_poll(bid, idem, user="t", question="哪天?", options=["一", "二"],
                         multi=False, results="always")  # fmt: skip


# name -> (what must exist first, the write, a count the write moves by exactly 1)
WRITES: dict[str, tuple[str, Write, str]] = {
    "ask": ("", _ask, "qseq"),
    "set_status": ("question", _on_air, "qs:on_air"),
    "star": ("question", lambda s, b, i, q: s.star(b, i, user="t", qid=q, on=True), ""),
    "edit": ("question", lambda s, b, i, q: s.edit(b, i, user="t", qid=q, text="改过的问题"), ""),
    "upvote": ("question", lambda s, b, i, q: s.upvote(b, i, vid=VID, qid=q, on=True), "qv:{}"),
    "create_poll": ("", _create_poll, "pseq"),
    "set_poll_state": (
        "draft poll",
        lambda s, b, i, p: s.set_poll_state(
            b, i, user="t", pid=p, target="open", allowed_from=["draft"]
        ),
        "",
    ),
    "ballot": (
        "open poll",
        lambda s, b, i, p: s.ballot(b, i, vid=VID, pid=p, choices=[1]),
        "pb:{}",
    ),
    "show_overlay": (
        "",
        lambda s, b, i, _: s.show_overlay(b, i, user="t", show="likes", pid=None),
        "",
    ),
    "update_broadcast": (
        "",
        lambda s, b, i, _: s.update_broadcast(b, i, title="新标题", user="t"),
        "",
    ),
}
# The moderators' writes: each leaves one audit entry, a retried one too (S2).
AUDITED = {"set_status", "star", "edit", "create_poll", "set_poll_state", "show_overlay",
           "update_broadcast"}  # fmt: skip


async def _count(redis: aioredis.Redis, bid: str, what: str, item: int) -> int:
    key = f"xs:{{{bid}}}:" + what.format(item)
    kind = (await redis.type(key)).decode()
    if kind == "string":
        return int(await redis.get(key))
    if kind == "zset":
        return int(await redis.zcard(key))
    if kind == "set":
        return int(await redis.scard(key))
    if kind == "hash":
        return int(await redis.hlen(key))
    return 0


@pytest.mark.parametrize("name", list(WRITES))
async def test_write_applied_once_after_lost_reply(
    lossy_store: tuple[Store, ReplyLoser, aioredis.Redis], name: str
) -> None:
    """A reply lost after Redis ran the script: redis-py's retry (the hub's client
    policy) gets the original result, and a resend of the same id does too."""
    store, loser, redis = lossy_store
    bid = "t-" + new_id()
    await store.create_broadcast(bid, title="t", topic="", settings={"moderation": False},
                                 overlay_key="k", user="t")  # fmt: skip
    needs, write, counted = WRITES[name]
    item = 0
    if needs == "question":
        item = await _question(store, bid)
    elif needs.endswith("poll"):
        item = await _poll(store, bid, open_it=needs == "open poll")
    events = len(await stream(redis, bid))
    count = await _count(redis, bid, counted, item) if counted else 0
    audited = await redis.xlen(f"xs:{{{bid}}}:audit")

    idem = "v:x:" + new_id()
    loser.armed = True
    first = await write(store, bid, idem, item)
    assert loser.lost == 1, "the reply was not lost: the test proves nothing"
    again = await write(store, bid, idem, item)

    assert first.get("ok") is True and "pos" in first, first
    assert again == first
    stored = await redis.get(f"xs:{{{bid}}}:idem:{idem}")
    assert stored is not None and orjson.loads(stored) == first
    assert len(await stream(redis, bid)) == events + 1
    assert await redis.xlen(f"xs:{{{bid}}}:audit") == audited + (name in AUDITED)
    if counted:
        assert await _count(redis, bid, counted, item) == count + 1


async def test_likes_flush_applied_once_after_lost_reply(
    lossy_store: tuple[Store, ReplyLoser, aioredis.Redis],
) -> None:
    """A like flush is idempotent per (process, sequence): a lost reply, the
    retry, and a later resend of the same batch count it once."""
    store, loser, redis = lossy_store
    bid = "t-" + new_id()
    await store.create_broadcast(bid, title="t", topic="", settings={}, overlay_key="k", user="t")
    loser.armed = True
    first = await store.flush_likes(bid, proc="p1", seq=1, delta=25, last_ids={"v:tab": "l1"})
    assert loser.lost == 1
    again = await store.flush_likes(bid, proc="p1", seq=1, delta=25, last_ids={"v:tab": "l1"})
    assert first["total"] == again["total"] == 25
    assert first.get("replay") is True and again.get("replay") is True  # the retry replayed
    other = await store.flush_likes(bid, proc="p2", seq=1, delta=5, last_ids={})
    assert other["total"] == 30 and not other.get("replay")
    nxt = await store.flush_likes(bid, proc="p1", seq=2, delta=1, last_ids={"v:tab": "l2"})
    assert nxt["total"] == 31
    assert int(await redis.get(f"xs:{{{bid}}}:likes")) == 31
    assert await store.last_like_id(bid, "v:tab") == "l2"
    assert [e["total"] for _, e in await stream(redis, bid) if e["type"] == "likes"] == [25, 30, 31]
