"""Every moderator HTTP route, enumerated from the app's own route tables (a new
route is covered the day it is added), refused without a session, with only a
viewer's cookie, and, for writes, without the CSRF token; Redis unchanged.

The websocket side (every moderator command from a viewer or overlay) is
tests/integration/test_hub_roles.py."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from server.store import keys
from server.web import api, record, words
from tests.integration.harness import HubProcess, Moderator, new_moderator
from tests.integration.hub_helpers import viewer_identity

pytestmark = pytest.mark.anyio

# Routes anyone may call: operations, the viewer cookie, logging in and out.
PUBLIC = {"/healthz", "/readyz", "/metrics", "/api/viewer", "/api/login", "/api/logout"}
WRITES = {"POST", "PUT", "DELETE", "PATCH"}


def moderator_routes() -> list[tuple[str, str]]:
    found = []
    for route in [*api.routes, *record.routes, *words.routes]:
        if route.path in PUBLIC:
            continue
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append((method, route.path))
    return found


def test_the_table_is_not_empty() -> None:
    routes = moderator_routes()
    assert ("DELETE", "/api/broadcasts/{bid}") in routes and ("PUT", "/api/words") in routes
    assert len(routes) >= 18


async def _state(redis: aioredis.Redis, bid: str) -> Any:
    """What a refused call must leave as it was: the broadcast's keys and
    meta, the accounts, the word list and both audit logs."""
    mine = sorted([k async for k in redis.scan_iter(match=keys.prefix(bid) + "*", count=1000)])
    return (
        mine,
        await redis.hgetall(keys.meta(bid)),
        await redis.xlen(keys.prefix(bid) + "audit"),
        await redis.xlen(keys.AUDIT),
        await redis.hgetall("xs:{dep}:words"),
        sorted([k async for k in redis.scan_iter(match="xs:{dep}:mod:*", count=1000)]),
        await redis.zcard(keys.BROADCASTS),
    )


@pytest.fixture(scope="module")
async def admin(hub: HubProcess, redis_url: str) -> Moderator:
    return await new_moderator(redis_url, hub.base, admin=True)


@pytest.mark.parametrize(("method", "path"), moderator_routes())
async def test_refused_without_a_session_and_to_a_viewer(
    hub: HubProcess, admin: Moderator, redis: aioredis.Redis, method: str, path: str
) -> None:
    created = await admin.create_broadcast()
    bid = created["id"]
    url = path.replace("{bid}", bid).replace("{username}", admin.user)
    body: dict[str, Any] = {"type": "q.star", "id": "x1", "qid": 1, "on": True}
    if path.endswith("/rehearsal"):
        body = {"action": "fill"}
    elif path.endswith("words"):
        body = {"words": [{"word": "测试", "action": "block"}]}
    elif path.startswith("/api/moderators"):
        body = {"username": "intruder1", "password": "x" * 20}
    elif path == "/api/broadcasts":
        body = {"title": "入侵"}
    before = await _state(redis, bid)
    viewer_cookies, _ = await viewer_identity(redis)

    async def call(cookies: dict[str, str], headers: dict[str, str]) -> int:
        async with httpx.AsyncClient(base_url=hub.base, cookies=cookies) as http:
            kwargs: dict[str, Any] = {"headers": headers}
            if method in WRITES and method != "DELETE":
                kwargs["json"] = body
            return (await http.request(method, url, **kwargs)).status_code

    assert await call({}, {}) == 401
    assert await call(viewer_cookies, {}) == 401
    if method in WRITES:
        # A logged-in moderator's cookie alone (a cross-site form or fetch) is not enough.
        assert await call(admin.cookies, {}) == 403
        assert await call(admin.cookies, {"X-CSRF-Token": "forged"}) == 403
    assert await _state(redis, bid) == before
