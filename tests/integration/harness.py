"""Real hub processes and the moves of a moderator, for integration tests.

A ``HubProcess`` is ``python -m server run`` on a free port against the test
Redis: the same entry point as ``make run`` and the Procfile, so the tests see
the websocket settings, the lifespan and the shutdown that users get.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis

from server.client import HubClient, fetch_viewer_cookie
from server.settings import Settings
from server.store.accounts import Accounts

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HubProcess:
    """One hub process (uvicorn) on 127.0.0.1:<free port>."""

    def __init__(self, redis_url: str, log_dir: Path, **env: str) -> None:
        self.redis_url = redis_url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"hub-{self.port}.log"
        self.env = {
            **os.environ,
            "REDIS_URL": redis_url,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "DEMO": "0",
            "LOG_LEVEL": "warning",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20) -> HubProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server", "run"], cwd=ROOT, env=self.env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited early:\n{self.log()}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self.base + "/healthz", timeout=1) as r,
            ):
                if r.status == 200:
                    return self
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"hub did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 15) -> int | None:
        """Graceful: SIGTERM, as a process manager would."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def restart(self) -> HubProcess:
        """Stop (gracefully) and start again on the same port."""
        self.stop()
        return self.start()


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
    redis = aioredis.Redis.from_url(redis_url)
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
