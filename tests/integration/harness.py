"""Real hub processes and the moves of a moderator, for integration tests.

``HubProcess`` is ``python -m server run`` on a free port against the test
Redis (``bench.loadtest.processes``, shared with the benchmark), with the
per-address budgets raised: every test client comes from 127.0.0.1 and those
budgets live in the session's shared Redis, so a whole suite would exhaust
them in an order-dependent way. The tests of those limits set them explicitly.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.loadtest import processes
from bench.loadtest.processes import free_port
from server.client import HubClient, fetch_viewer_cookie
from server.settings import Settings
from server.store.accounts import Accounts
from server.store.redis_client import command_client

__all__ = ["HubProcess", "Moderator", "free_port", "new_moderator", "viewer"]

PER_ADDRESS_UNLIMITED = {
    "VIEWER_IDS_PER_IP_PER_HOUR": "1000000",
    "QUESTIONS_IP_BURST": "1000000",
    "QUESTIONS_IP_PER_MIN": "1000000",
}


# The webhook worker delivers for the whole deployment, here the session's
# shared Redis: test hubs leave it off, the webhook tests turn it on.
NO_WEBHOOKS = {"WEBHOOKS_DELIVER": "0"}
# Test hubs come and go (and some are killed) on one shared Redis: the
# follow-up indexer's lock held by a dead one passes on within 1.5 s.
QUICK_HANDOVER = {"FU_INDEX_LOCK_MS": "1500"}


class HubProcess(processes.HubProcess):
    def __init__(self, redis_url: str, log_dir: Path, **env: str) -> None:
        super().__init__(
            redis_url, log_dir, **{**PER_ADDRESS_UNLIMITED, **NO_WEBHOOKS, **QUICK_HANDOVER, **env}
        )


@dataclass
class Moderator:
    base: str
    user: str
    password: str
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""

    async def login(self) -> Moderator:
        async with httpx.AsyncClient(base_url=self.base) as http:
            body = {"username": self.user, "password": self.password}
            r = await http.post("/api/login", json=body)
            r.raise_for_status()
            self.cookies = {"xs_sess": r.cookies["xs_sess"]}
            self.csrf = r.json()["csrf"]
        return self

    def http(self, base: str | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=base or self.base, cookies=self.cookies,
            headers={"X-CSRF-Token": self.csrf}, timeout=10,
        )  # fmt: skip

    async def create_broadcast(self, **body: Any) -> dict[str, Any]:
        body.setdefault("title", "测试直播")
        async with self.http() as http:
            r = await http.post("/api/broadcasts", json=body)
            assert r.status_code == 201, r.text
            result: dict[str, Any] = r.json()
            return result

    async def command(self, bid: str, type: str, *, base: str | None = None, **fields: Any) -> Any:
        """A moderator command over HTTP; returns the ack or error body."""
        fields.setdefault("id", secrets.token_hex(8))
        async with self.http(base) as http:
            r = await http.post(f"/api/broadcasts/{bid}/commands", json={"type": type, **fields})
            return r.json()

    def client(self, bid: str, *, base: str | None = None, record: bool = True) -> HubClient:
        return HubClient(base or self.base, bid, "moderator", cookies=self.cookies, record=record)


async def new_moderator(redis_url: str, base: str, *, admin: bool = True) -> Moderator:
    user = "t" + secrets.token_hex(5)
    password = secrets.token_urlsafe(16)
    redis = command_client(Settings(redis_url=redis_url))
    try:
        await Accounts(redis, Settings(redis_url=redis_url)).create_moderator(
            user, password, admin=admin
        )
    finally:
        await redis.aclose()
    return await Moderator(base, user, password).login()


async def viewer(base: str, bid: str, **kwargs: Any) -> HubClient:
    cookies = await fetch_viewer_cookie(base)
    return HubClient(base, bid, "viewer", cookies=cookies, record=True, **kwargs)
