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


def test_votes_do_not_mutate_received_messages() -> None:
    state = viewer_after_snapshot()
    before = orjson.dumps(SNAPSHOT)
    state.apply_event({"type": "votes", "pos": "101-0", "qid": 2, "votes": 9})
    assert state.questions[2]["votes"] == 9
    assert orjson.dumps(SNAPSHOT) == before


def test_moderator_keeps_the_banned_list() -> None:
    state = ClientState(role="moderator")
    state.apply_snapshot({"pos": "1-0", "banned": [{"asker": "fox-12", "qid": 3}]})
    assert state.banned == {"fox-12": {"asker": "fox-12", "qid": 3}}
    state.apply_event({"type": "ban", "pos": "1-1", "asker": "owl-7", "qid": 9, "on": True})
    assert set(state.banned) == {"fox-12", "owl-7"}
    state.apply_event({"type": "ban", "pos": "1-2", "asker": "fox-12", "qid": 3, "on": False})
    assert state.banned == {"owl-7": {"asker": "owl-7", "qid": 9}}
    assert state.unknown == 0


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
    assert hellos[0] == p.Hello(role="viewer", v=p.PROTOCOL_VERSION, tab="tab12345")


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
