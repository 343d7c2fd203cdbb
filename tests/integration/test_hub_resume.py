"""The resume decision table (docs/reliability.md 7) against real hub processes.

One test per named outcome; the outcomes a client's untrusted position gets
(future, another epoch, unparseable) are one table. Each asserts the ``resume`` of the welcome, what
the client received after it (a snapshot, one events frame with exactly the
missed events in order, or nothing), and that the client then knows exactly
what a fresh page knows: no duplicate, nothing missing.

The hubs here run with presence reports off (``QUIET``) so that the stream
holds only the events a test wrote and "exactly the missed events" is exact.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

import pytest
import redis.asyncio as aioredis

from server.client import HubClient
from tests.integration.harness import HubProcess, Moderator, new_moderator
from tests.integration.hub_helpers import (
    QUIET,
    Clients,
    after_welcome,
    assert_same_as_fresh,
    barrier,
    caught_up,
    first_after_welcome,
    last_pos,
    new_viewer,
    ok,
    running_hub,
    sid,
    stream,
)

pytestmark = pytest.mark.anyio

# Small windows so that "too many" and "trimmed" cost tens of events, not thousands.
RESUME_MAX = 20
RING = 4

ConsoleOn = Callable[[HubProcess], Awaitable[tuple[str, HubClient]]]


@pytest.fixture(scope="module")
def quiet_hub(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    with running_hub(redis_url, tmp_path_factory.mktemp("hub"), **QUIET) as process:
        yield process


@pytest.fixture(scope="module")
def small_hub(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """A ring of 4 events (so resumes read Redis) and a resume limit of 20."""
    env = {**QUIET, "RING_SIZE": str(RING), "RESUME_MAX_EVENTS": str(RESUME_MAX)}
    with running_hub(redis_url, tmp_path_factory.mktemp("hub"), **env) as process:
        yield process


@pytest.fixture(scope="module")
def trim_hub(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """A stream trimmed to about 10 entries (XADD MAXLEN ~ 10) and a ring of 4."""
    env = {**QUIET, "STREAM_MAXLEN": "10", "RING_SIZE": str(RING)}
    with running_hub(redis_url, tmp_path_factory.mktemp("hub"), **env) as process:
        yield process


@pytest.fixture(scope="module")
async def moderator(redis_url: str, quiet_hub: HubProcess) -> Moderator:
    """One moderator for the module (sessions live in Redis: valid on every hub)."""
    return await new_moderator(redis_url, quiet_hub.base)


@pytest.fixture
def console_on(moderator: Moderator, clients: Clients) -> ConsoleOn:
    async def make(hub: HubProcess) -> tuple[str, HubClient]:
        """An unmoderated broadcast and a moderator's live console on ``hub``."""
        bid = (await moderator.create_broadcast(settings={"moderation": False}))["id"]
        console = clients.add(moderator.client(bid, base=hub.base))
        await console.connect()
        return bid, console

    return make


async def _edits(console: HubClient, qid: int, n: int) -> list[str]:
    """``n`` moderator edits of one question: ``n`` events, every one visible to everyone."""
    return [
        ok(await console.command("q.edit", qid=qid, text=f"编辑后的问题 第{i}版"))["pos"]
        for i in range(n)
    ]


# --- quiet hub: fresh, current, recovered, future, epoch changed, unparseable ----------------


async def test_fresh_gets_a_snapshot_of_everything(
    quiet_hub: HubProcess,
    redis: aioredis.Redis,
    clients: Clients,
    console_on: ConsoleOn,
) -> None:
    bid, console = await console_on(quiet_hub)
    asker = await new_viewer(clients, redis, quiet_hub.base, bid)
    asked = ok(await asker.command("ask", text="地铁三号线什么时候开通？"))
    poll = ok(await console.command("poll.create", question="哪天?", options=["一", "二"],
                                    multi=False))  # fmt: skip
    opened = ok(await console.command("poll.state", poll=poll["poll"], state="open"))
    assert await last_pos(redis, bid) == opened["pos"]

    viewer = await new_viewer(clients, redis, quiet_hub.base, bid, connect=False)
    welcome = await viewer.connect()
    assert welcome["resume"] == "fresh"
    await caught_up(viewer, opened["pos"])
    first = await first_after_welcome(viewer)
    # A snapshot (possibly the channel's cached one, then the events after it).
    assert first["type"] == "snapshot"
    assert first["epoch"] == welcome["epoch"]
    assert sid(first["pos"]) <= sid(opened["pos"])
    assert list(viewer.state.questions) == [asked["qid"]]
    assert [(p["id"], p["state"]) for p in viewer.state.polls.values()] == [(poll["poll"], "open")]
    await assert_same_as_fresh(viewer, opened["pos"])

    # A client that knows a position but asks for no resume starts over too.
    await viewer.close()
    start = len(viewer.received)
    assert (await viewer.connect(resume=False))["resume"] == "fresh"
    assert (await first_after_welcome(viewer, start))["type"] == "snapshot"
    await assert_same_as_fresh(viewer, opened["pos"])


async def test_current_gets_nothing(
    quiet_hub: HubProcess,
    redis: aioredis.Redis,
    clients: Clients,
    console_on: ConsoleOn,
) -> None:
    bid, console = await console_on(quiet_hub)
    viewer = await new_viewer(clients, redis, quiet_hub.base, bid)
    asked = ok(await viewer.command("ask", text="票价会涨吗？"))
    await caught_up(viewer, asked["pos"])
    assert viewer.pos == await last_pos(redis, bid)
    await viewer.close()

    start = len(viewer.received)
    welcome = await viewer.connect()
    assert welcome["resume"] == "current"
    end = await barrier(viewer)
    assert [m["type"] for m in viewer.received[start:end]] == ["welcome", "pong"]

    # Live again from where it was: the next event arrives once.
    starred = ok(await console.command("q.star", qid=asked["qid"], on=True))
    await assert_same_as_fresh(viewer, starred["pos"])


async def test_recovered_gets_the_missed_events_in_one_frame(
    quiet_hub: HubProcess,
    redis: aioredis.Redis,
    clients: Clients,
    console_on: ConsoleOn,
) -> None:
    bid, console = await console_on(quiet_hub)
    viewer = await new_viewer(clients, redis, quiet_hub.base, bid)
    other = await new_viewer(clients, redis, quiet_hub.base, bid)
    mine = ok(await viewer.command("ask", text="换乘站会增加吗？"))
    await caught_up(viewer, mine["pos"])
    since = viewer.pos
    assert since is not None
    await viewer.close()

    # Missed while away: visible ones and ones a viewer never sees (a draft
    # poll, the overlay), the last one invisible.
    asked = ok(await other.command("ask", text="夜班车能延长吗？"))
    starred = ok(await console.command("q.star", qid=asked["qid"], on=True))
    upvoted = ok(await other.command("upvote", qid=mine["qid"], on=True))
    poll = ok(await console.command("poll.create", question="几点?", options=["早", "晚"],
                                    multi=False))  # fmt: skip
    opened = ok(await console.command("poll.state", poll=poll["poll"], state="open"))
    titled = ok(await console.command("bc.update", title="新的标题"))
    shown = ok(await console.command("overlay", show="likes"))
    written = [asked, starred, upvoted, poll, opened, titled, shown]
    assert [pos for pos, _ in await stream(redis, bid, since)] == [r["pos"] for r in written]
    await caught_up(console, shown["pos"])  # the hub has tailed them all

    start = len(viewer.received)
    welcome = await viewer.connect()
    assert welcome["resume"] == "recovered"
    await caught_up(viewer, shown["pos"])
    received = after_welcome(viewer, start)
    frame = received[0]
    assert frame["type"] == "events"
    visible = [asked, starred, upvoted, opened, titled]
    assert [e["pos"] for e in frame["events"]] == [r["pos"] for r in visible]
    assert [e["type"] for e in frame["events"]] == [
        "question", "question", "votes", "poll", "broadcast",
    ]  # fmt: skip
    # The frame's pos is past the last event the viewer may see: it caught up.
    assert frame["pos"] == shown["pos"]
    assert not any(m["type"] == "snapshot" for m in received)
    # Its own question's upvote is marked as not its own vote.
    assert frame["events"][2] == {"type": "votes", "qid": mine["qid"], "votes": 1,
                                  "pos": upvoted["pos"]}  # fmt: skip
    await assert_same_as_fresh(viewer, shown["pos"])


async def test_resume_racing_the_tailer_loses_nothing(
    quiet_hub: HubProcess,
    redis: aioredis.Redis,
    clients: Clients,
    console_on: ConsoleOn,
) -> None:
    """Reconnecting right after events were acked, before this hub tailed them.

    The decision is taken against the events the hub has read (found by this
    suite: it may then say "current" for events still in flight); whatever it
    says, they arrive right after, each once.
    """
    bid, console = await console_on(quiet_hub)
    viewer = await new_viewer(clients, redis, quiet_hub.base, bid)
    await caught_up(viewer, await last_pos(redis, bid))
    await viewer.close()
    written = [ok(await console.command("bc.update", title=f"标题 {i}"))["pos"] for i in range(5)]
    start = len(viewer.received)
    welcome = await viewer.connect()
    assert welcome["resume"] in ("current", "recovered")
    await caught_up(viewer, written[-1])
    got = [e["pos"] for m in viewer.received[start:] if m["type"] == "events"
           for e in m["events"]]  # fmt: skip
    assert got == written
    await assert_same_as_fresh(viewer, written[-1])


async def test_a_voter_that_resumes_keeps_receiving_its_polls_results(
    quiet_hub: HubProcess,
    redis: aioredis.Redis,
    clients: Clients,
    console_on: ConsoleOn,
) -> None:
    bid, console = await console_on(quiet_hub)
    voter = await new_viewer(clients, redis, quiet_hub.base, bid)
    other = await new_viewer(clients, redis, quiet_hub.base, bid)
    pid = ok(await console.command("poll.create", question="投了票再重连?",
                                   options=["是", "否"], multi=False))["poll"]  # fmt: skip
    ok(await console.command("poll.state", poll=pid, state="open"))
    mine = ok(await voter.command("vote", poll=pid, choices=[0]))  # results: after_vote
    await caught_up(voter, mine["pos"])
    await voter.close()
    await caught_up(console, await last_pos(redis, bid))
    assert (await voter.connect())["resume"] == "current"

    theirs = ok(await other.command("vote", poll=pid, choices=[1]))
    await voter.wait_state(lambda s: s.polls[pid]["tallies"] == [1, 1], timeout=1)
    await assert_same_as_fresh(voter, theirs["pos"])


async def test_recovered_with_nothing_visible_sends_nothing(
    quiet_hub: HubProcess,
    redis: aioredis.Redis,
    clients: Clients,
    console_on: ConsoleOn,
) -> None:
    bid, console = await console_on(quiet_hub)
    viewer = await new_viewer(clients, redis, quiet_hub.base, bid)
    await caught_up(viewer, await last_pos(redis, bid))
    await viewer.close()
    ok(await console.command("poll.create", question="草稿", options=["a", "b"], multi=False))
    await caught_up(console, ok(await console.command("overlay", show="qr"))["pos"])

    start = len(viewer.received)
    assert (await viewer.connect())["resume"] == "recovered"
    end = await barrier(viewer)
    assert [m["type"] for m in viewer.received[start:end]] == ["welcome", "pong"]
    titled = ok(await console.command("bc.update", title="之后"))
    await assert_same_as_fresh(viewer, titled["pos"])


def _an_hour_ahead(viewer: HubClient, last: str) -> None:
    ms, seq = sid(last)
    viewer.pos = f"{ms + 3_600_000}-{seq}"  # data loss, or another deployment's position


def _other_epoch(viewer: HubClient, last: str) -> None:
    viewer.epoch = "0123456789abcdef"  # the history this position belongs to is gone


def _position(pos: str) -> Callable[[HubClient, str], None]:
    def tamper(viewer: HubClient, last: str) -> None:
        viewer.pos = pos

    return tamper


# (case, what the client claims on reconnect, the hub's resume outcome). An
# unparseable position is treated as one from the future: nothing the client
# holds can be trusted.
UNTRUSTED: list[tuple[str, Callable[[HubClient, str], None], str]] = [
    ("an hour ahead", _an_hour_ahead, "future"),
    ("another epoch", _other_epoch, "epoch_changed"),
    *(
        (f"unparseable {pos!r}", _position(pos), "future")
        for pos in ["", "garbage", "1-2-3", "-1-0", "12", "18446744073709551616-0", "1e3-0", "٣-٣"]
    ),
]


@pytest.mark.parametrize(("tamper", "outcome"), [c[1:] for c in UNTRUSTED],
                         ids=[c[0] for c in UNTRUSTED])  # fmt: skip
async def test_untrusted_position_gets_a_snapshot(
    quiet_hub: HubProcess,
    redis: aioredis.Redis,
    clients: Clients,
    console_on: ConsoleOn,
    tamper: Callable[[HubClient, str], None],
    outcome: str,
) -> None:
    bid, console = await console_on(quiet_hub)
    viewer = await new_viewer(clients, redis, quiet_hub.base, bid)
    asked = ok(await viewer.command("ask", text="公交专用道怎么规划？"))
    await caught_up(viewer, asked["pos"])
    real_epoch = viewer.epoch
    await viewer.close()
    starred = ok(await console.command("q.star", qid=asked["qid"], on=True))
    await caught_up(console, starred["pos"])

    tamper(viewer, starred["pos"])
    viewer.state.questions[10**9] = {"id": 10**9, "text": "held by the client only"}
    start = len(viewer.received)
    welcome = await viewer.connect()
    assert (welcome["resume"], welcome["epoch"]) == (outcome, real_epoch)
    snap = await first_after_welcome(viewer, start)
    assert (snap["type"], snap["epoch"]) == ("snapshot", real_epoch)
    await caught_up(viewer, starred["pos"])
    assert list(viewer.state.questions) == [asked["qid"]]  # replaced, not merged
    assert viewer.state.questions[asked["qid"]]["starred"] is True
    await assert_same_as_fresh(viewer, starred["pos"])


# --- small ring and limit: recovered from Redis, too many -------------------------------


async def test_recovered_from_redis_beyond_the_ring_is_exact(
    small_hub: HubProcess,
    redis: aioredis.Redis,
    clients: Clients,
    console_on: ConsoleOn,
    moderator: Moderator,
) -> None:
    bid, console = await console_on(small_hub)
    asker = await new_viewer(clients, redis, small_hub.base, bid)
    qid = ok(await asker.command("ask", text="自行车道会连通吗？"))["qid"]
    # A console sees every event: "exactly the missed events" is the stream itself.
    watcher = clients.add(moderator.client(bid, base=small_hub.base))
    await watcher.connect()
    await caught_up(watcher, await last_pos(redis, bid))
    since = watcher.pos
    assert since is not None
    await watcher.close()

    missed = await _edits(console, qid, RESUME_MAX)  # 20 > ring of 4, = the limit
    assert [pos for pos, _ in await stream(redis, bid, since)] == missed
    await caught_up(console, missed[-1])  # the hub has tailed them all

    start = len(watcher.received)
    assert (await watcher.connect())["resume"] == "recovered"
    await caught_up(watcher, missed[-1])
    received = after_welcome(watcher, start)
    assert received[0]["type"] == "events"
    assert [e["pos"] for e in received[0]["events"]] == missed
    assert received[0]["events"][-1]["q"]["text"] == f"编辑后的问题 第{RESUME_MAX - 1}版"
    assert not any(m["type"] == "snapshot" for m in received)
    await assert_same_as_fresh(watcher, missed[-1])


async def test_too_many_missed_gets_a_snapshot(
    small_hub: HubProcess,
    redis: aioredis.Redis,
    clients: Clients,
    console_on: ConsoleOn,
) -> None:
    bid, console = await console_on(small_hub)
    asker = await new_viewer(clients, redis, small_hub.base, bid)
    qid = ok(await asker.command("ask", text="停车费标准？"))["qid"]
    await caught_up(asker, await last_pos(redis, bid))
    since = asker.pos
    assert since is not None
    await asker.close()

    missed = await _edits(console, qid, RESUME_MAX + 1)  # one over the limit
    assert [pos for pos, _ in await stream(redis, bid, since)] == missed  # none trimmed
    await caught_up(console, missed[-1])
    start = len(asker.received)
    assert (await asker.connect())["resume"] == "too_many"
    assert (await first_after_welcome(asker, start))["type"] == "snapshot"
    await caught_up(asker, missed[-1])
    assert [q["text"] for q in asker.state.mine.values()] == [f"编辑后的问题 第{RESUME_MAX}版"]
    await assert_same_as_fresh(asker, missed[-1])


# --- trimmed stream -------------------------------------------------------------------------


async def test_trimmed_position_gets_a_snapshot(
    trim_hub: HubProcess,
    redis: aioredis.Redis,
    clients: Clients,
    console_on: ConsoleOn,
) -> None:
    bid, console = await console_on(trim_hub)
    asker = await new_viewer(clients, redis, trim_hub.base, bid)
    qid = ok(await asker.command("ask", text="学校周边限速？"))["qid"]
    await caught_up(asker, await last_pos(redis, bid))
    since = asker.pos
    assert since is not None
    await asker.close()

    # MAXLEN ~ only drops whole stream nodes (up to 100 entries or 4 KB each).
    missed = await _edits(console, qid, 200)
    kept = await stream(redis, bid)
    assert sid(kept[0][0]) > sid(missed[0]), "the stream was not trimmed"
    assert len(kept) < len(missed) < 1000  # trimmed, yet within the resume limit
    await caught_up(console, missed[-1])

    start = len(asker.received)
    assert (await asker.connect())["resume"] == "trimmed"
    assert (await first_after_welcome(asker, start))["type"] == "snapshot"
    await assert_same_as_fresh(asker, missed[-1])
