"""server.client.state (pure), and HubClient against a scripted in-process fake hub.

The fake hub is websockets' own server speaking a few canned frames: it checks the
client's side of the protocol (hello, ids, acks, resume position, close codes)
without the real hub, which the integration tests cover.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from websockets.asyncio.server import ServerConnection, serve

from server import protocol as p
from server.client import Disconnected, HubClient
from server.client.state import ClientState


def q(qid: int, status: str = "approved", votes: int = 0, **extra: Any) -> dict[str, Any]:
    return {"id": qid, "text": f"question {qid}", "status": status, "votes": votes, **extra}


SNAPSHOT = p.snapshot(
    "ep1",
    "100-0",
    {
        "broadcast": {"id": "b1", "title": "Budget", "state": "live"},
        "questions": [q(1), q(2, "on_air", votes=3)],
        "mine": [q(2, "on_air", votes=3), q(9, "pending")],
        "myvotes": [1],
        "polls": [{"id": 1, "question": "Day?", "state": "open", "tallies": [1, 0], "mine": [0]}],
        "likes": 40,
        "presence": {"now": 3, "peak": 5, "unique": 7},
        "on_air": q(2, "on_air", votes=3),
        "overlay": {"show": "question", "poll": None},
    },
)


def viewer_after_snapshot() -> ClientState:
    state = ClientState(role="viewer")
    state.apply_message(SNAPSHOT)
    return state


def test_snapshot_replaces_everything() -> None:
    state = viewer_after_snapshot()
    assert (state.epoch, state.pos, state.snapshots) == ("ep1", "100-0", 1)
    assert set(state.questions) == {1, 2}
    assert set(state.mine) == {2, 9}
    assert state.myvotes == {1}
    assert state.polls[1]["mine"] == [0]
    assert (state.likes, state.presence["peak"]) == (40, 5)
    assert state.on_air is not None and state.on_air["id"] == 2
    assert state.broadcast["title"] == "Budget"
    assert state.overlay == {"show": "question", "poll": None}
    state.apply_message(p.snapshot("ep2", "5-0", {"likes": 1}))
    assert (state.epoch, state.questions, state.likes, state.snapshots) == ("ep2", {}, 1, 2)


def test_events_update_state() -> None:
    state = viewer_after_snapshot()
    events = [
        {"type": "question", "pos": "101-0", "q": q(3)},
        {"type": "votes", "pos": "101-1", "qid": 3, "votes": 1, "mine": True},
        {"type": "votes", "pos": "101-2", "qid": 1, "votes": 0, "mine": False},
        {"type": "likes", "pos": "102-0", "total": 55},
        {"type": "presence", "pos": "102-1", "now": 4, "peak": 6, "unique": 8},
        {"type": "poll", "pos": "103-0", "poll": {"id": 1, "question": "Day?", "state": "open"}},
        {
            "type": "tally",
            "pos": "103-1",
            "pid": 1,
            "tallies": [2, 0],
            "ballots": 2,
            "state": "open",
        },
        {
            "type": "broadcast",
            "pos": "104-0",
            "b": {"id": "b1", "title": "Budget 2", "state": "live"},
        },
        {"type": "overlay", "pos": "104-1", "show": "poll", "poll": 1},
        {"type": "question", "pos": "105-0", "q": q(2, "answered", votes=3)},
    ]
    state.apply_message(p.events_frame("ep1", "105-0", events))
    assert state.questions[3]["votes"] == 1
    assert state.myvotes == {3}
    assert state.likes == 55
    assert state.presence == {"now": 4, "peak": 6, "unique": 8}
    assert state.polls[1]["tallies"] == [2, 0]
    assert state.polls[1]["mine"] == [0], "a poll event keeps the viewer's known ballot"
    assert state.broadcast["title"] == "Budget 2"
    assert state.overlay == {"show": "poll", "poll": 1}
    assert state.questions[2]["status"] == "answered"
    assert state.mine[2]["status"] == "answered", "own questions follow their events"
    assert state.on_air is None, "the on-air question was answered"
    assert (state.pos, state.duplicates, state.unknown) == ("105-0", 0, 0)


def test_votes_do_not_mutate_received_messages() -> None:
    state = viewer_after_snapshot()
    before = orjson.dumps(SNAPSHOT)
    state.apply_event({"type": "votes", "pos": "101-0", "qid": 2, "votes": 9})
    assert state.questions[2]["votes"] == 9
    assert orjson.dumps(SNAPSHOT) == before


def test_duplicates_are_counted_and_ignored() -> None:
    state = viewer_after_snapshot()
    likes = {"type": "likes", "pos": "101-0", "total": 50}
    assert state.apply_event(likes)
    assert not state.apply_event(likes)
    assert not state.apply_event({"type": "likes", "pos": "100-0", "total": 1}), "before snapshot"
    assert not state.apply_event({"type": "likes", "pos": "99-5", "total": 1})
    assert (state.likes, state.duplicates) == (50, 3)
    assert state.apply_event({"type": "likes", "pos": "101-10", "total": 60}), "10 > 9 numerically"
    assert state.apply_event({"type": "likes", "pos": "1000-0", "total": 70})
    assert (state.likes, state.duplicates, state.pos) == (70, 3, "1000-0")


def test_question_removed_leaves_the_public_list() -> None:
    state = viewer_after_snapshot()
    state.apply_event({"type": "question_removed", "pos": "101-0", "qid": 2})
    assert set(state.questions) == {1}
    assert state.on_air is None
    assert 2 in state.mine, "the owner still sees their own question"
    state.apply_event({"type": "question_removed", "pos": "101-1", "qid": 404})  # harmless


def test_own_hidden_question_stays_out_of_the_public_list() -> None:
    state = viewer_after_snapshot()
    state.apply_event({"type": "question", "pos": "101-0", "q": q(10, "pending"), "mine": True})
    assert 10 in state.mine and 10 not in state.questions
    state.apply_event({"type": "question", "pos": "101-1", "q": q(10, "approved"), "mine": True})
    assert state.questions[10]["status"] == "approved"


def test_moderator_sees_every_status() -> None:
    state = ClientState(role="moderator")
    asked = {**q(1, "pending"), "asker": "fox-12"}  # a moderator's question names its asker
    state.apply_event({"type": "question", "pos": "1-0", "q": asked})
    assert state.questions[1]["asker"] == "fox-12"
    state.apply_event(
        {"type": "question", "pos": "1-1", "q": {**q(1, "rejected"), "asker": "fox-12"}}
    )
    assert state.questions[1]["status"] == "rejected"
    state.apply_event({"type": "question", "pos": "1-2", "q": {**q(2, "merged"), "merged_into": 1}})
    assert state.questions[2]["merged_into"] == 1


def test_moderator_keeps_the_banned_list() -> None:
    state = ClientState(role="moderator")
    state.apply_snapshot({"pos": "1-0", "banned": [{"asker": "fox-12", "qid": 3}]})
    assert state.banned == {"fox-12": {"asker": "fox-12", "qid": 3}}
    state.apply_event({"type": "ban", "pos": "1-1", "asker": "owl-7", "qid": 9, "on": True})
    assert set(state.banned) == {"fox-12", "owl-7"}
    state.apply_event({"type": "ban", "pos": "1-2", "asker": "fox-12", "qid": 3, "on": False})
    assert state.banned == {"owl-7": {"asker": "owl-7", "qid": 9}}
    assert state.unknown == 0


def test_viewer_drops_a_merged_question_but_keeps_its_own() -> None:
    state = viewer_after_snapshot()
    state.apply_event({"type": "question", "pos": "101-0", "q": q(10, "approved"), "mine": True})
    merged = {**q(10, "merged"), "merged_into": 7}
    state.apply_event({"type": "question", "pos": "101-1", "q": merged, "mine": True})
    assert 10 not in state.questions
    assert state.mine[10]["merged_into"] == 7


def test_overlay_on_air_and_unknown_events() -> None:
    state = ClientState(role="overlay")
    state.apply_event({"type": "on_air", "pos": "1-0", "q": q(4, "on_air")})
    assert state.on_air is not None and state.on_air["id"] == 4
    state.apply_event({"type": "votes", "pos": "1-1", "qid": 4, "votes": 12})
    assert state.on_air["votes"] == 12
    state.apply_event({"type": "on_air", "pos": "1-2", "q": None})
    assert state.on_air is None
    state.apply_event({"type": "confetti", "pos": "1-3"})
    assert (state.unknown, state.duplicates) == (1, 0)


def test_tally_with_ballot_for_unknown_poll() -> None:
    state = ClientState()
    state.apply_event(
        {"type": "tally", "pos": "1-0", "pid": 7, "tallies": [1], "ballots": 1, "state": "open"}
        | {"mine": [0]}
    )
    assert state.polls[7] == {"id": 7, "tallies": [1], "ballots": 1, "state": "open", "mine": [0]}


def test_empty_events_frame_moves_pos_on() -> None:
    state = viewer_after_snapshot()
    state.apply_message(p.events_frame("ep1", "120-0", []))
    assert state.pos == "120-0"
    state.apply_message(p.events_frame("ep1", "110-0", []))
    assert state.pos == "120-0"


# --- HubClient against a fake hub ------------------------------------------------

Script = Callable[[ServerConnection, dict[str, Any]], Awaitable[None]]


async def send(ws: ServerConnection, msg: dict[str, Any]) -> None:
    await ws.send(p.encode(msg).decode())


def run_with_fake_hub(script: Script, body: Callable[[str], Awaitable[None]]) -> list[Any]:
    """Serve ``script`` (given each connection and its decoded hello), run ``body(base_url)``."""
    handshakes: list[Any] = []

    async def handler(ws: ServerConnection) -> None:
        assert ws.request is not None
        handshakes.append(ws.request)
        hello = p.decode(str(await ws.recv()))
        assert isinstance(hello, p.Hello)
        await script(ws, {"hello": hello})

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, compression=None) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            await asyncio.wait_for(body(f"http://127.0.0.1:{port}"), 10)

    asyncio.run(main())
    return handshakes


def test_client_hello_commands_events_and_resume() -> None:
    hellos: list[p.Hello] = []

    async def hub(ws: ServerConnection, ctx: dict[str, Any]) -> None:
        hello = ctx["hello"]
        hellos.append(hello)
        await send(ws, p.welcome(hello.role, "ep1", "fresh", heartbeat_s=25))
        if hello.since is None:
            await send(ws, SNAPSHOT)
        async for raw in ws:
            cmd = p.decode(str(raw))
            if isinstance(cmd, p.Like):
                likes = {"type": "likes", "pos": "101-0", "total": 40 + cmd.n}
                await send(ws, p.events_frame("ep1", "101-0", [likes]))
                await send(ws, p.ack(cmd.id, {"total": 40 + cmd.n}))
            elif isinstance(cmd, p.Ask):
                await send(ws, p.error("rate_limited", "slow down", id=cmd.id, retryable=True))
            elif isinstance(cmd, p.Ping):
                await send(ws, p.pong())
                await ws.close(p.Close.RESTART)

    async def body(base: str) -> None:
        client = HubClient(base, "b1", cookies={"xs_vid": "v.sig"}, tab="tab12345", record=True)
        welcome = await client.connect()
        assert welcome["type"] == "welcome"
        await client.wait_for(lambda e: e["type"] == "snapshot")
        assert client.state.likes == 40
        mark = client.mark()
        ack = await client.command("like", id="like-1", n=2)
        assert ack == {"type": "ack", "id": "like-1", "result": {"total": 42}}
        event = await client.wait_for(lambda e: e["type"] == "likes", since=mark)
        assert event["total"] == 42
        await client.wait_state(lambda s: s.likes == 42)
        err = await client.command("ask", text="hi")
        assert (err["type"], err["code"], err["retryable"]) == ("error", "rate_limited", True)
        await client.send({"type": "ping"})
        assert await client.wait_closed() == 1012
        assert (client.epoch, client.pos) == ("ep1", "101-0")
        assert client.events.qsize() == 2 and client.event_count == 1

        await client.connect()  # resumes from the last position
        assert hellos[1].since == p.Since("ep1", "101-0")
        assert hellos[1].tab == "tab12345", "one tab id per page load, kept across reconnects"
        await client.close()
        assert client.close_code == 1000 and client.state.duplicates == 0

    handshakes = run_with_fake_hub(hub, body)
    assert handshakes[0].path == "/ws/b1"
    assert handshakes[0].headers["Cookie"] == "xs_vid=v.sig"
    assert handshakes[0].headers["Origin"] == "http://" + handshakes[0].headers["Host"]
    assert hellos[0] == p.Hello(role="viewer", v=1, tab="tab12345")


def test_client_close_before_welcome_raises_disconnected() -> None:
    async def hub(ws: ServerConnection, ctx: dict[str, Any]) -> None:
        assert ctx["hello"].key == "overlay-key"
        await ws.close(p.Close.UNAUTHORIZED, "bad key")

    async def body(base: str) -> None:
        client = HubClient(base, "b1", role="overlay", key="overlay-key", record=True)
        with pytest.raises(Disconnected) as info:
            await client.connect()
        assert (info.value.code, info.value.reason) == (4401, "bad key")
        assert client.close_code == 4401 and client.close_code in p.TERMINAL
        with pytest.raises(Disconnected):
            await client.wait_for(lambda e: True, timeout=1)

    run_with_fake_hub(hub, body)


def test_client_pings_when_silent_for_heartbeat_seconds() -> None:
    async def hub(ws: ServerConnection, ctx: dict[str, Any]) -> None:
        await send(ws, p.welcome("viewer", "ep1", "fresh", heartbeat_s=0.05))
        assert isinstance(p.decode(str(await ws.recv())), p.Ping)
        await send(ws, p.pong())
        await ws.close(p.Close.SLOW_CONSUMER)

    async def body(base: str) -> None:
        client = HubClient(base, "b1")
        await client.connect()
        assert await client.wait_closed() == 4008
        assert client.frames == 2  # welcome, pong

    run_with_fake_hub(hub, body)
