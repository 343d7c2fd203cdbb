"""A one-time password (an account an administrator created, a password an
administrator reset, the deployment's first admin) must be changed at the
first sign-in: until then the session may write nothing but the new password
(or log out), and the console's socket is refused."""

from __future__ import annotations

import secrets

import httpx
import pytest
import redis.asyncio as aioredis

from server.client import Disconnected, HubClient
from server.ops.bootstrap import ensure_first_admin
from server.ops.embedded_redis import EmbeddedRedis
from server.settings import Settings
from server.store.accounts import Accounts
from tests.integration.harness import HubProcess, new_moderator

pytestmark = pytest.mark.anyio


async def _login(base: str, user: str, password: str) -> tuple[httpx.Response, dict[str, str]]:
    async with httpx.AsyncClient(base_url=base) as http:
        r = await http.post("/api/login", json={"username": user, "password": password})
        return r, dict(r.cookies)


async def test_an_account_made_by_an_admin_changes_its_password_first(
    hub: HubProcess, redis_url: str
) -> None:
    admin = await new_moderator(redis_url, hub.base)
    bid = (await admin.create_broadcast())["id"]
    name, first = "n" + secrets.token_hex(4), secrets.token_urlsafe(12)
    async with admin.http() as http:
        created = await http.post("/api/moderators", json={"username": name, "password": first})
        assert created.status_code == 201, created.text
    r, cookies = await _login(hub.base, name, first)
    assert r.status_code == 200 and r.json()["must_change"] is True
    csrf = {"X-CSRF-Token": r.json()["csrf"]}
    async with httpx.AsyncClient(base_url=hub.base, cookies=cookies, headers=csrf) as http:
        assert (await http.get("/api/me")).json()["must_change"] is True
        refused = await http.post("/api/broadcasts", json={"title": "不该建成"})
        assert refused.status_code == 403 and refused.json()["error"] == "password_change_required"
        # The console's socket is refused too, and its page sends the holder to /login.
        console = HubClient(hub.base, bid, "moderator", cookies=cookies)
        with pytest.raises(Disconnected) as closed:
            await console.connect()
        assert closed.value.code == 4401
        assert (await http.get("/console")).status_code == 303
        wrong = await http.post("/api/me/password", json={"current": "wrong", "new": "x" * 12})
        assert wrong.status_code == 403
        same = await http.post("/api/me/password", json={"current": first, "new": first})
        assert same.status_code == 400
        mine = "my own long password"
        changed = await http.post("/api/me/password", json={"current": first, "new": mine})
        assert changed.status_code == 200, changed.text
    # Every session ended with the change; the new password signs in for good.
    assert (await _login(hub.base, name, first))[0].status_code == 401
    r, cookies = await _login(hub.base, name, mine)
    assert r.json()["must_change"] is False
    csrf = {"X-CSRF-Token": r.json()["csrf"]}
    async with httpx.AsyncClient(base_url=hub.base, cookies=cookies, headers=csrf) as http:
        made = await http.post("/api/broadcasts", json={"title": "自己的密码之后"})
        assert made.status_code in (200, 201), made.text

    # An administrator's reset is a one-time password again; one's own is not.
    async with admin.http() as http:
        reset = await http.post(f"/api/moderators/{name}", json={"password": "reset by admin 1"})
        assert reset.status_code == 200
    assert (await _login(hub.base, name, "reset by admin 1"))[0].json()["must_change"] is True
    async with admin.http() as http:
        own = {"password": "admin own pass 1"}
        assert (await http.post(f"/api/moderators/{admin.user}", json=own)).status_code == 200
    after = (await _login(hub.base, admin.user, "admin own pass 1"))[0]
    assert after.json()["must_change"] is False


async def test_the_first_admin_has_a_one_time_password(embedded_redis: EmbeddedRedis) -> None:
    url = embedded_redis.url  # a Redis of its own: no admin yet
    redis = aioredis.Redis.from_url(url)
    try:
        made = await ensure_first_admin(redis, Settings(redis_url=url))
        assert made is not None
        user, password = made
        session = await Accounts(redis, Settings(redis_url=url)).login(user, password, "ip")
        assert session is not None and session.must_change is True
    finally:
        await redis.aclose()
