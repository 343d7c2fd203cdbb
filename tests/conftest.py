"""Fixtures shared by the whole suite.

Tests never FLUSHDB: with ``REDIS_URL`` set the suite may share a Redis with
other runs, so every test works under its own random broadcast id.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator

import pytest

from bench.loadtest.processes import free_port
from server.ops.embedded_redis import EmbeddedRedis
from tests.integration.harness import HubProcess, Moderator, new_moderator


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    # Session scope so session-scoped async fixtures can use it too.
    return "asyncio"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Redis of the suite: ``REDIS_URL`` if set, else one embedded redis-server."""
    given = os.environ.get("REDIS_URL", "")
    if given:
        yield given
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def embedded_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """A fresh, always embedded redis-server of this test's own (fault tests kill it)."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("eredis"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def unique_bid() -> str:
    return "t-" + secrets.token_hex(5)


@pytest.fixture(name="free_port")
def free_port_fixture() -> int:
    return free_port()


# --- a real hub process per test module, and a logged-in moderator -------------


@pytest.fixture(scope="module")
def hub(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """One hub process shared by a test module (per-address budgets raised:
    ``tests.integration.harness.HubProcess``)."""
    process = HubProcess(redis_url, tmp_path_factory.mktemp("hub")).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
async def mod(hub: HubProcess, redis_url: str) -> AsyncIterator[Moderator]:
    """One administrator for a test module (an account costs two scrypt hashes;
    every test works on broadcasts of its own). Sessions live in Redis, so it is
    valid on every hub process of the module."""
    yield await new_moderator(redis_url, hub.base)
