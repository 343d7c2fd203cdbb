"""Fixtures shared by the whole suite.

Tests never FLUSHDB: with ``REDIS_URL`` set the suite may share a Redis with
other runs, so every test works under its own random broadcast id.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator

import pytest

from server.embedded_redis import EmbeddedRedis


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
