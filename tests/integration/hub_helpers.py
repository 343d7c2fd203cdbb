"""Shared moves of the hub's integration tests (``test_hub_*.py``).

Everything here talks to a real hub process and the real test Redis; nothing
is mocked. Waiting is always for an event, with a bounded timeout.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import anyio
import httpx
import orjson
import redis.asyncio as aioredis

from server import auth
from server.client import HubClient
from server.client.state import ClientState
from server.domain.projection import PUBLIC_Q_FIELDS
from server.domain.resume import parse_stream_id
from server.settings import Settings
from server.store import keys
from server.store.accounts import get_or_create_secret
from server.store.redis_client import cluster_seeds, command_client
from tests.integration.harness import HubProcess

Json = dict[str, Any]

# Presence reports are the hub's only writes nobody asked for. Hubs whose tests
# assert the exact content of the stream turn them off (one report an hour).
QUIET = {"PRESENCE_INTERVAL_S": "3600"}


@contextlib.contextmanager
def running_hub(redis_url: str, log_dir: Path, **env: str) -> Iterator[HubProcess]:
    """A dedicated hub process with its own settings, stopped on exit."""
    process = HubProcess(redis_url, log_dir, **env).start()
    try:
        yield process
    finally:
        process.stop()


@contextlib.asynccontextmanager
async def open_redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A client of the test Redis; on a cluster URL, the hub's cluster client
    (``server/store/redis_client.py``), so the store tier can run on a cluster."""
    client = (
        command_client(Settings(redis_url=redis_url))
        if cluster_seeds(redis_url)
        else aioredis.Redis.from_url(redis_url)
    )
    try:
        yield client
    finally:
        await client.aclose()


class Clients(contextlib.AsyncExitStack):
    """Every client a test opens, closed when the test ends (warnings are errors)."""

    def add(self, client: HubClient) -> HubClient:
        self.push_async_callback(client.close)
        return client


async def hub_secret(redis: aioredis.Redis) -> bytes:
    """The cookie-signing secret the hub processes share (``xs:secret``)."""
    return await get_or_create_secret(redis, Settings.from_env().secret_key)


async def viewer_identity(redis: aioredis.Redis) -> tuple[dict[str, str], str]:
    """A signed ``xs_vid`` cookie and its viewer id, exactly as ``GET /api/viewer`` makes them.

    Signed here rather than minted over HTTP because the per-address cap on new
    viewer ids (docs/reliability.md 15) is shared by the whole test session; the tests
    that are about the cookie itself use ``/api/viewer``.
    """
    vid = auth.new_viewer_id()
    return {auth.VIEWER_COOKIE: auth.sign(await hub_secret(redis), vid, "vid")}, vid


async def vid_of(redis: aioredis.Redis, client: HubClient) -> str:
    """The viewer id inside a client's signed ``xs_vid`` cookie."""
    vid = auth.unsign(await hub_secret(redis), client.cookies[auth.VIEWER_COOKIE], "vid")
    assert vid is not None
    return vid


async def new_viewer(
    clients: Clients, redis: aioredis.Redis, base: str, bid: str, *, connect: bool = True
) -> HubClient:
    cookies, _ = await viewer_identity(redis)
    client = clients.add(HubClient(base, bid, "viewer", cookies=cookies, record=True))
    if connect:
        await client.connect()
    return client


def base_of(client: HubClient) -> str:
    """The hub's http base URL a client was made for."""
    return "http" + client.url.removeprefix("ws").rsplit("/ws/", 1)[0]


def twin(client: HubClient, base: str | None = None) -> HubClient:
    """A new client with the same identity (cookies, key), as a second page would be."""
    return HubClient(
        base or base_of(client), client.bid, client.role, cookies=client.cookies,
        key=client.key, record=True,
    )  # fmt: skip


def ok(reply: Json) -> Json:
    """The result of an acked command (fails the test on an error reply)."""
    assert reply["type"] == "ack", reply
    result: Json = reply["result"]
    return result


def refused(reply: Json, code: str, *, retryable: bool = False) -> Json:
    """Assert an error reply with ``code`` and the documented ``retryable``."""
    assert reply["type"] == "error", reply
    assert (reply["code"], reply["retryable"]) == (code, retryable), reply
    assert "Traceback" not in reply["message"]
    return reply


def sid(pos: str) -> tuple[int, int]:
    return parse_stream_id(pos)


async def caught_up(client: HubClient, pos: str, timeout: float = 5) -> ClientState:  # noqa: ASYNC109
    """Wait until the client has applied everything up to stream position ``pos``."""
    return await client.wait_state(
        lambda s: s.pos is not None and sid(s.pos) >= sid(pos), timeout=timeout
    )


async def barrier(client: HubClient, timeout: float = 5) -> int:  # noqa: ASYNC109
    """Ping and wait for the pong: everything the hub sent before it has arrived.

    Returns the index in ``received`` just past the pong.
    """
    start = len(client.received)

    def ponged(_: ClientState) -> bool:
        return any(m.get("type") == "pong" for m in client.received[start:])

    await client.send({"type": "ping"})
    await client.wait_state(ponged, timeout=timeout)
    kinds = [m["type"] for m in client.received]
    return kinds.index("pong", start) + 1


async def first_after_welcome(client: HubClient, start: int = 0, timeout: float = 5) -> Json:  # noqa: ASYNC109
    """The first message after the last welcome at or after ``start`` (waits for it)."""
    await client.wait_state(lambda _: bool(after_welcome(client, start)), timeout=timeout)
    return after_welcome(client, start)[0]


def raw(messages: list[Json]) -> str:
    """What went over the wire, as one string to search (the messages re-encoded)."""
    return "\n".join(orjson.dumps(m).decode() for m in messages)


def after_welcome(client: HubClient, start: int = 0) -> list[Json]:
    """Messages received after the last welcome at or after index ``start``."""
    msgs = client.received[start:]
    last = max(i for i, m in enumerate(msgs) if m["type"] == "welcome")
    return msgs[last + 1 :]


# --- comparing what two clients know ---------------------------------------------------


def _question(q: Mapping[str, Any]) -> Json:
    # Snapshots and events carry the same question in two spellings: a viewer's
    # snapshot marks its own questions with "mine": true inside "q"
    # (events on the event), and an owner's events carry "reason" where the
    # public list of a snapshot omits it. Compare what a page shows.
    out = {k: q.get(k) for k in PUBLIC_Q_FIELDS}
    out["reason"] = q.get("reason")
    return out


def view(state: ClientState) -> Json:
    """Everything a page renders from ``state`` (presence aside: it moves on its own)."""
    return {
        "epoch": state.epoch,
        "questions": {k: _question(q) for k, q in state.questions.items()},
        "mine": {k: _question(q) for k, q in state.mine.items()},
        "myvotes": set(state.myvotes),
        "polls": state.polls,
        "likes": state.likes,
        "on_air": _question(state.on_air) if state.on_air else None,
        "broadcast": state.broadcast,
        "overlay": state.overlay,
    }


async def assert_same_as_fresh(client: HubClient, upto: str) -> None:
    """``client`` (once caught up to ``upto``) knows exactly what a fresh page knows."""
    await caught_up(client, upto)
    assert client.state.duplicates == 0
    async with Clients() as clients:
        fresh = clients.add(twin(client))
        welcome = await fresh.connect()
        assert welcome["resume"] == "fresh"
        await caught_up(fresh, upto)
        assert fresh.state.duplicates == 0
        assert view(client.state) == view(fresh.state)


# --- what Redis holds --------------------------------------------------------------------

# Keys the hub changes on its own (presence reports, presence.lua, with their
# per-minute figures), not because of a command.
_SELF_MOVING = ("presence", "visits", "peak", "viewers", "views", "devices")


def self_moving(name: str) -> bool:
    """Whether a broadcast's key (its name after the prefix) is presence
    bookkeeping the hub writes on its own: the heartbeat and a prompt report
    after a device joins or leaves, never a command."""
    return name.rsplit(":", 1)[-1] in _SELF_MOVING


async def stream(redis: aioredis.Redis, bid: str, after: str = "-") -> list[tuple[str, Json]]:
    """Events of a broadcast after ``after`` (exclusive), as (pos, event)."""
    low = after if after == "-" else f"({after}"
    rows = await redis.xrange(keys.events(bid), min=low, max="+")
    return [(rid.decode(), orjson.loads(fields[b"e"])) for rid, fields in rows]


async def event_at(redis: aioredis.Redis, bid: str, pos: str) -> Json:
    """The stored event at stream position ``pos`` (private fields included)."""
    rows = await redis.xrange(keys.events(bid), min=pos, max=pos)
    assert rows, f"no event at {pos}"
    event: Json = orjson.loads(rows[0][1][b"e"])
    return event


async def events_of(redis: aioredis.Redis, bid: str, *types: str) -> list[tuple[str, Json]]:
    """The broadcast's stored events of the given types (presence reports never count)."""
    return [e for e in await stream(redis, bid) if e[1].get("type") in types]


async def last_pos(redis: aioredis.Redis, bid: str) -> str:
    rows = await redis.xrevrange(keys.events(bid), count=1)
    pos: str = rows[0][0].decode()
    return pos


async def dump(redis: aioredis.Redis, bid: str, *, results: bool = True) -> Json:
    """Every key of a broadcast with its value (presence bookkeeping aside).

    ``results=False`` leaves out the commands' stored results (``idem:*``): a
    refused command remembers its refusal so that a resend gets the same answer,
    and that is all it may write.
    """
    out: Json = {}
    async for raw_key in redis.scan_iter(match=keys.prefix(bid) + "*", count=1000):
        key = raw_key.decode()
        if key.rsplit(":", 1)[-1] in _SELF_MOVING:
            continue
        if not results and key.startswith(keys.prefix(bid) + "idem:"):
            continue
        kind = (await redis.type(key)).decode()
        if kind == "string":
            out[key] = await redis.get(key)
        elif kind == "hash":
            out[key] = await redis.hgetall(key)
        elif kind == "set":
            out[key] = await redis.smembers(key)
        elif kind == "zset":
            out[key] = await redis.zrange(key, 0, -1, withscores=True)
        elif kind == "stream" and key == keys.events(bid):
            out[key] = [e for e in await stream(redis, bid) if e[1].get("type") != "presence"]
        elif kind == "stream":  # the audit log
            out[key] = await redis.xrange(key)
        else:  # pragma: no cover - the schema has no other types
            out[key] = kind
    return out


def token() -> str:
    """A command id."""
    return secrets.token_hex(8)


# Changes apply within words_refresh_ms (500 ms) in every process; a test
# waits for each process to report the new version on /readyz, at most this
# long (a deadline for a busy machine, not a wait).
APPLIED_DEADLINE_S = 15.0


async def words_applied(
    bid: str | None, version: int | None, *hubs: HubProcess, redis_url: str = ""
) -> None:
    """Until every hub process screens questions with ``bid``'s list (None: the
    deployment-wide list) at ``version`` (None: the version Redis holds now,
    read from ``redis_url``). A process that has not loaded the list yet
    counts: it reads the current one on its first question."""
    key = keys.WORDS_VERSION if bid is None else keys.words_version(bid)
    if version is None:
        async with open_redis(redis_url) as redis:
            version = int(await redis.get(key) or 0)
    params = {} if bid is None else {"words": bid}
    which = "global" if bid is None else "broadcast"
    async with httpx.AsyncClient(timeout=5) as http:
        with anyio.fail_after(APPLIED_DEADLINE_S):
            for hub in hubs:
                while True:
                    r = await http.get(f"{hub.base}/readyz", params=params)
                    if r.json()["words"][which] in (None, version):
                        break
                    await anyio.sleep(0.05)  # poll interval of an observable state
