"""What the store tests share: the broadcast's keys and events as Redis holds
them, and the three checks every write gets (outcome with its events, the
idempotent replay, the refusal writing nothing)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import redis.asyncio as aioredis

from server.domain.text import fingerprint
from server.settings import Settings
from server.store import keys
from server.store.store import Result, Store

Json = dict[str, Any]

# Small budgets so refusals are cheap to reach; everything else as deployed.
SETTINGS = Settings(questions_burst=3, questions_per_min=1.0, stream_maxlen=1000)

# SHA1 of every script run by this session's store tests.
RAN: set[str] = set()


def sha_of(source: str) -> str:
    return hashlib.sha1(source.encode("utf-8")).hexdigest()


async def new_broadcast(
    store: Store, bid: str, *, moderation: bool = True, user: str = "mod1"
) -> Result:
    return await store.create_broadcast(
        bid, title="测试", topic="", settings={"moderation": moderation},
        overlay_key="ok-" + bid, user=user,
    )  # fmt: skip


async def dump(redis: aioredis.Redis, bid: str) -> dict[bytes, bytes]:
    """Every key of the broadcast with its serialised value (``DUMP``): two dumps
    are equal exactly when no key was created, deleted or changed."""
    found = sorted([k async for k in redis.scan_iter(match=keys.prefix(bid) + "*", count=1000)])
    out: dict[bytes, bytes] = {}
    for key in found:
        value = await redis.dump(key)
        if value is not None:
            out[key] = value
    return out


async def events(redis: aioredis.Redis, bid: str) -> list[Json]:
    """The broadcast's event stream, oldest first, each event with its ``pos``."""
    rows: Any = await redis.xrange(keys.events(bid))
    return [{**orjson.loads(fields[b"e"]), "pos": rid.decode()} for rid, fields in rows]


async def audit(redis: aioredis.Redis, key: str) -> list[Json]:
    rows: Any = await redis.xrange(key)
    return [
        {k.decode(): v.decode() for k, v in fields.items()} | {"id": rid.decode()}
        for rid, fields in rows
    ]


def idem() -> str:
    """A fresh command id under a test actor (the store takes ``<actor>:<id>``)."""
    return "m:mod1:" + secrets.token_hex(4)


async def state(redis: aioredis.Redis, bid: str) -> dict[bytes, bytes]:
    """:func:`dump` without the commands' stored results (``idem:*``), which a
    remembered refusal writes by design (docs/architecture.md)."""
    marker = keys.idem(bid, "").encode()
    return {k: v for k, v in (await dump(redis, bid)).items() if not k.startswith(marker)}


async def applied_once(
    redis: aioredis.Redis, bid: str, run: Callable[[], Awaitable[Result]]
) -> tuple[Result, list[Json]]:
    """Run a write twice with the same command id: the replay returns the
    original result and changes nothing (no second event, no key touched).
    Returns the result and the events the first run appended."""
    before = await events(redis, bid)
    first = await run()
    appended = (await events(redis, bid))[len(before) :]
    after_first = await dump(redis, bid)
    assert await run() == first
    assert await dump(redis, bid) == after_first
    return first, appended


async def refused(
    redis: aioredis.Redis, bid: str, run: Callable[[], Awaitable[Result]], code: str
) -> Result:
    """A refusal: the error ``code``, and the broadcast's keys exactly as before."""
    before = await state(redis, bid)
    result = await run()
    assert result.get("err") == code, result
    assert await state(redis, bid) == before
    return result


async def ask(
    store: Store, bid: str, text: str = "地铁末班车能否延长？", *, vid: str = "v1",
    cmd: str | None = None, screen: str = "", **kw: Any,
) -> Result:  # fmt: skip
    flags = {"action": screen, "words": ["敏感"], "spans": [[0, 2]]} if screen else None
    return await store.ask(
        bid, f"v:{vid}:{cmd or secrets.token_hex(4)}", vid=vid, text=text, name="小王",
        tag=None, fp=fingerprint(text), flags=flags, **kw,
    )  # fmt: skip
