"""Bad input and bad credentials against a real hub (docs/reliability.md 9, 12, 13, 17, 19).

A malformed message gets a typed ``error``, writes nothing and leaves the
socket open and usable; repeated abuse closes it with 4400; a bad handshake or
hello ends with the documented close code; nobody else notices. No message
ever carries a stack trace.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from server import auth
from server.client import Disconnected, HubClient
from tests.integration.harness import HubProcess, Moderator
from tests.integration.hub_helpers import (
    Clients,
    barrier,
    caught_up,
    dump,
    hub_secret,
    new_viewer,
    ok,
    raw,
    refused,
    running_hub,
    viewer_identity,
)

pytestmark = pytest.mark.anyio

Json = dict[str, Any]

WS_MAX_SIZE = 16 * 1024  # settings.ws_max_size
MAX_PROTOCOL_ERRORS = 20  # settings.max_protocol_errors


def _upvote(**changes: Any) -> str:
    return orjson.dumps({"type": "upvote", "id": "c1", "qid": 1, "on": True, **changes}).decode()


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# (what, frame, error code, id the error names). Each is refused before any write.
BAD_FRAMES: list[tuple[str, str | bytes, str, str | None]] = [
    ("binary frame", orjson.dumps({"type": "ping"}), "bad_frame", None),
    ("invalid JSON", '{"type": "upvote", "id": "c1",', "bad_json", None),
    ("a JSON array", '[{"type": "ping"}]', "bad_json", None),
    ("a JSON string", '"ping"', "bad_json", None),
    ("unknown type", '{"type": "upvote_all", "id": "c1"}', "bad_type", "c1"),
    ("no type", '{"id": "c1", "qid": 1, "on": true}', "bad_type", "c1"),
    ("type not a string", '{"type": 7, "id": "c1"}', "bad_type", "c1"),
    ("missing field", '{"type": "upvote", "id": "c1", "qid": 1}', "bad_field", "c1"),
    ("extra field", _upvote(voter="someone"), "bad_field", "c1"),
    ("wrong type", _upvote(qid="1"), "bad_field", "c1"),
    ("bool as int", _upvote(qid=True), "bad_field", "c1"),
    ("int as bool", _upvote(on=1), "bad_field", "c1"),
    ("float as int", '{"type": "upvote", "id": "c1", "qid": 1.0, "on": true}', "bad_field", "c1"),
    ("int beyond 2**53", _upvote(qid=2**53 + 1), "bad_field", "c1"),
    ("bad id", _upvote(id="no spaces allowed"), "bad_field", None),
    (
        "text over the wire cap",
        orjson.dumps({"type": "ask", "id": "c2", "text": "长" * 4001}).decode(),
        "bad_field",
        "c2",
    ),
    ("a second hello", '{"type": "hello", "role": "moderator"}', "bad_type", None),
    (
        "500 nested lists",
        '{"type": "ask", "id": "c3", "text": ' + _nested(500) + "}",
        "bad_field",
        "c3",
    ),
    ("5000 nested lists", _nested(5000), "bad_json", None),
]
# Well formed, refused by the broadcast's rules (not protocol errors).
BAD_VALUES: list[tuple[str, Json, str]] = [
    ("text over the broadcast's limit", {"type": "ask", "text": "长" * 301}, "too_long"),
    ("empty text", {"type": "ask", "text": ""}, "empty"),
    ("invisible text", {"type": "ask", "text": " \u200b\u2060 \t"}, "empty"),
    ("unknown tag", {"type": "ask", "text": "有标签的问题", "tag": "不存在"}, "invalid"),
    ("like over the batch", {"type": "like", "n": 501}, "invalid"),
    ("no such question", {"type": "upvote", "qid": 999, "on": True}, "not_found"),
]


@pytest.fixture(scope="module")
def hub(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """This module's hub waits 1 s for a hello instead of 10 (HELLO_TIMEOUT_S), so the
    4408 case is quick; every other client here says hello at once."""
    with running_hub(redis_url, tmp_path_factory.mktemp("hub"), HELLO_TIMEOUT_S="1") as process:
        yield process


@contextlib.asynccontextmanager
async def raw_socket(
    hub: HubProcess, bid: str, *, origin: str | None = "own", cookies: dict[str, str] | None = None
) -> AsyncIterator[ClientConnection]:
    """A websocket that says nothing by itself (no hello)."""
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())}
    own = hub.base
    async with connect(
        f"ws://127.0.0.1:{hub.port}/ws/{bid}",
        origin=Origin(own if origin == "own" else origin) if origin is not None else None,
        additional_headers=headers if cookies else None,
        compression=None,
        open_timeout=5,
    ) as ws:
        yield ws


async def _closed_with(ws: ClientConnection, timeout: float = 5) -> tuple[list[Json], int | None]:  # noqa: ASYNC109
    """Read until the server closes: (messages received, close code)."""
    got: list[Json] = []
    async with asyncio.timeout(timeout):
        with contextlib.suppress(ConnectionClosed):
            while True:
                got.append(orjson.loads(await ws.recv()))
    return got, ws.close_code


async def _refused(client: HubClient) -> int | None:
    with pytest.raises(Disconnected) as closed:
        await client.connect(timeout=5)
    return closed.value.code


def _no_traceback(hub: HubProcess, *clients: HubClient) -> None:
    """No stack trace reached a client; none was even logged (nothing failed unexpectedly)."""
    for client in clients:
        assert "Traceback" not in raw(client.received)
    assert "Traceback" not in hub.log()


# --- malformed messages on an open socket ----------------------------------------------------


async def test_each_bad_message_gets_a_typed_error_and_the_socket_stays_usable(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": False, "tags": ["交通"]}))["id"]
    viewer = await new_viewer(clients, redis, hub.base, bid)
    bystander = await new_viewer(clients, redis, hub.base, bid)
    asked = ok(await bystander.command("ask", text="有人在捣乱吗？"))
    valid = ok(await viewer.command("upvote", id="valid-1", qid=asked["qid"], on=True))
    before = await dump(redis, bid)

    for what, frame, code, cid in BAD_FRAMES:
        start = len(viewer.received)
        await viewer.send_frame(frame)
        # The same command resent: an ack with the original result, nothing written.
        assert ok(await viewer.command("upvote", id="valid-1", qid=asked["qid"], on=True)) == valid
        errors = [m for m in viewer.received[start:] if m["type"] == "error"]
        assert len(errors) == 1, (what, viewer.received[start:])
        refused(errors[0], code)
        assert errors[0]["id"] == cid, what
        assert len(errors[0]["message"]) < 200, what  # quotes at most 40 characters of input
    assert await dump(redis, bid) == before
    # Refusals by the broadcast's rules, on another socket: "invalid" counts
    # towards the protocol error budget too, and this one is spent.
    checker = await new_viewer(clients, redis, hub.base, bid)
    for what, fields, code in BAD_VALUES:
        reply = await checker.command(id=f"v-{code}", **fields)
        refused(reply, code)
        assert reply["id"] == f"v-{code}", what
    assert await dump(redis, bid, results=False) == {
        k: v for k, v in before.items() if ":idem:" not in k
    }
    # Still a viewer like any other, and the others were served all along.
    mine = ok(await viewer.command("ask", text="那我也问一个"))
    await caught_up(bystander, mine["pos"])
    ok(await bystander.command("upvote", qid=mine["qid"], on=True))
    _no_traceback(hub, viewer, checker, bystander)


async def test_too_many_protocol_errors_close_the_socket_with_4400(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    abuser = await new_viewer(clients, redis, hub.base, bid)
    bystander = await new_viewer(clients, redis, hub.base, bid)
    for _ in range(MAX_PROTOCOL_ERRORS):
        await abuser.send_frame("not json")
    await barrier(abuser)  # 20 errors: still open
    assert ok(await abuser.command("ask", text="我还在吗？"))
    await abuser.send_frame(b"one too many")
    assert await abuser.wait_closed(timeout=5) == 4400
    errors = [m for m in abuser.received if m["type"] == "error"]
    assert [e["code"] for e in errors] == ["bad_json"] * MAX_PROTOCOL_ERRORS + ["bad_frame"]
    # Others are untouched.
    asked = ok(await bystander.command("ask", text="刚才怎么了？"))
    await caught_up(bystander, asked["pos"])
    _no_traceback(hub, abuser, bystander)


async def test_a_frame_over_the_size_limit_closes_with_1009_and_nobody_else_notices(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    big = await new_viewer(clients, redis, hub.base, bid)
    bystander = await new_viewer(clients, redis, hub.base, bid)
    before = await dump(redis, bid)
    frame = orjson.dumps({"type": "ask", "id": "big", "text": "x" * WS_MAX_SIZE}).decode()
    await big.send_frame(frame)
    assert await big.wait_closed(timeout=5) == 1009
    assert await dump(redis, bid) == before
    asked = ok(await bystander.command("ask", text="刚才那个太长了"))
    await caught_up(bystander, asked["pos"])
    # Just under the limit is a frame like any other (refused by the wire cap on text).
    small = await new_viewer(clients, redis, hub.base, bid)
    reply = await small.command("ask", id="max", text="x" * (WS_MAX_SIZE - 100))
    refused(reply, "bad_field")
    _no_traceback(hub, big, bystander, small)


# --- the hello ---------------------------------------------------------------------------


async def test_first_message_must_be_a_valid_hello(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis
) -> None:
    bid = (await mod.create_broadcast())["id"]
    cookies, _ = await viewer_identity(redis)
    hellos: list[tuple[str | bytes, str]] = [
        ('{"type": "ping"}', "bad_type"),
        (orjson.dumps({"type": "ask", "id": "a", "text": "先提问"}), "bad_frame"),
        ('{"type": "ask", "id": "a", "text": "先提问"}', "bad_type"),
        ("hello", "bad_json"),
        ('{"type": "hello", "role": "admin"}', "bad_field"),
        ('{"type": "hello", "role": "viewer", "v": 1}', "bad_field"),
        ('{"type": "hello", "role": "viewer", "since": {"epoch": "e"}}', "bad_field"),
        ('{"type": "hello", "role": "viewer", "tab": "short"}', "bad_field"),
    ]
    for frame, code in hellos:
        async with raw_socket(hub, bid, cookies=cookies) as ws:
            await ws.send(frame)
            got, close = await _closed_with(ws)
        assert close == 4400, frame
        assert [(m["type"], m["code"]) for m in got] == [("error", code)], frame
        assert "Traceback" not in got[0]["message"]


async def test_no_hello_in_time_closes_with_4408(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis
) -> None:
    bid = (await mod.create_broadcast())["id"]
    cookies, _ = await viewer_identity(redis)
    async with raw_socket(hub, bid, cookies=cookies) as ws:
        started = asyncio.get_running_loop().time()
        got, close = await _closed_with(ws, timeout=5)
        waited = asyncio.get_running_loop().time() - started
    assert (got, close) == ([], 4408)
    assert 0.8 < waited < 4


async def test_unknown_broadcasts_and_missing_credentials_are_refused(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    created = await mod.create_broadcast()
    bid, key = created["id"], created["overlay_key"]
    cookies, vid = await viewer_identity(redis)
    secret = await hub_secret(redis)

    for missing in ("no-such-broadcast", "Bad_Id", "x" * 40):
        assert await _refused(clients.add(HubClient(hub.base, missing, cookies=cookies))) == 4404

    def viewer(cookie: dict[str, str]) -> HubClient:
        return clients.add(HubClient(hub.base, bid, "viewer", cookies=cookie))

    value = cookies[auth.VIEWER_COOKIE]
    assert await _refused(viewer({})) == 4401
    assert await _refused(viewer({auth.VIEWER_COOKIE: value[:-2] + "xx"})) == 4401
    assert await _refused(viewer({auth.VIEWER_COOKIE: vid})) == 4401
    assert await _refused(viewer({auth.VIEWER_COOKIE: auth.sign(secret, vid, "sess")})) == 4401
    assert await _refused(viewer({auth.VIEWER_COOKIE: auth.sign(b"x" * 32, vid, "vid")})) == 4401
    assert await _refused(viewer({auth.SESSION_COOKIE: mod.cookies[auth.SESSION_COOKIE]})) == 4401

    def moderator(cookie: dict[str, str]) -> HubClient:
        return clients.add(HubClient(hub.base, bid, "moderator", cookies=cookie))

    assert await _refused(moderator({})) == 4401
    assert await _refused(moderator({auth.SESSION_COOKIE: "made-up-session-token"})) == 4401
    assert await _refused(moderator(cookies)) == 4401  # a viewer is not a moderator

    for wrong in (None, "", key[:-1], key + "x", key.upper()):
        overlay = clients.add(HubClient(hub.base, bid, "overlay", key=wrong))
        assert await _refused(overlay) == 4401

    # And the right ones work.
    for client in (viewer(cookies), moderator(mod.cookies),
                   clients.add(HubClient(hub.base, bid, "overlay", key=key))):  # fmt: skip
        assert (await client.connect())["role"] == client.role


async def test_foreign_origins_are_refused_before_accept(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis
) -> None:
    bid = (await mod.create_broadcast())["id"]
    port = hub.port
    foreign = [
        f"http://127.0.0.1:{port}.evil.example",
        f"http://evil.example/http://127.0.0.1:{port}",
        f"https://127.0.0.1:{port}",
        f"http://127.0.0.1:{port + 1}",
        "http://127.0.0.1",
        "null",
        None,  # no Origin header at all
    ]
    for origin in foreign:
        # Even with a valid moderator session: the cookie rides along cross-site.
        with pytest.raises(InvalidStatus) as refused_status:
            async with raw_socket(hub, bid, origin=origin, cookies=mod.cookies):
                pass
        assert refused_status.value.response.status_code == 403, origin
    for origin in (f"http://127.0.0.1:{port}", f"http://localhost:{port}"):
        async with raw_socket(hub, bid, origin=origin, cookies=mod.cookies) as ws:
            await ws.send('{"type": "hello", "role": "moderator"}')
            assert orjson.loads(await ws.recv())["type"] == "welcome"


# --- HTTP bodies ----------------------------------------------------------------------------


async def _http_status(hub: HubProcess, head: bytes, body: bytes) -> bytes:
    """Send a request whose body never ends; the status line of the answer, if one comes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", hub.port)
    try:
        writer.write(head + body)
        with contextlib.suppress(ConnectionError):  # it may answer and close mid-body
            await writer.drain()
        async with asyncio.timeout(5):
            return await reader.readline()
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def test_an_oversized_http_body_is_refused_before_it_is_read(hub: HubProcess) -> None:
    """POST /api/login needs no session: its body must not be buffered whatever its size."""
    request = b"POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    declared = request + b"Content-Length: 100000000\r\n\r\n"
    assert (await _http_status(hub, declared, b"{" + b" " * 1000)).startswith(b"HTTP/1.1 413")
    chunk = b" " * 8192
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(10))  # 80 KiB
    streamed = request + b"Transfer-Encoding: chunked\r\n\r\n"
    assert (await _http_status(hub, streamed, chunked)).startswith(b"HTTP/1.1 413")
    assert "Traceback" not in hub.log()
