"""Redis failures by kind (docs/reliability.md 32): the parser's OOM/BUSY
classes, ``failure_kind`` and ``RedisHealth``'s counting, rate-limited log and
degraded flag. The real Redis under OOM, BUSY and a full pool is
tests/integration/test_redis_full.py."""

from __future__ import annotations

import logging

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import MaxConnectionsError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.metrics import Metrics
from server.store.health import RedisHealth
from server.store.redis_client import REDIS_DOWN, RedisBusy, RedisFull, ReplyParser, failure_kind

OOM_7 = "OOM command not allowed when used memory > 'maxmemory'. script: abc, on @user_script:3."
OOM_6 = (
    "ERR Error running script (call to f_abc): @user_script:3: @user_script: 3: "
    "-OOM command not allowed when used memory > 'maxmemory'."
)
BUSY = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."


@pytest.mark.parametrize(
    ("reply", "kind"), [(OOM_7, RedisFull), (OOM_6, RedisFull), (BUSY, RedisBusy)]
)
def test_the_parser_names_full_and_busy_replies(reply: str, kind: type) -> None:
    found = ReplyParser.parse_error(reply)
    assert type(found) is kind and isinstance(found, REDIS_DOWN)


def test_other_replies_stay_what_they_were() -> None:
    found = ReplyParser.parse_error("ERR wrong number of arguments for 'get' command")
    assert type(found) is ResponseError and not isinstance(found, REDIS_DOWN)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (RedisFull(OOM_7), "oom"),
        (RedisBusy(BUSY), "busy"),
        (RedisConnectionError("No connection available."), "pool"),
        (MaxConnectionsError("Too many connections"), "pool"),
        (RedisTimeoutError("Timeout reading from socket"), "timeout"),
        (RedisConnectionError("Timeout reading from /tmp/redis.sock"), "timeout"),
        (RedisConnectionError("Connection refused"), "connection"),
    ],
)
def test_failure_kinds(exc: BaseException, kind: str) -> None:
    assert failure_kind(exc) == kind


def test_failures_are_counted_and_logged_once_per_kind(caplog: pytest.LogCaptureFixture) -> None:
    metrics = Metrics()
    health = RedisHealth(metrics, proc="p")
    with caplog.at_level(logging.WARNING, logger="xs.redis"):
        for _ in range(50):
            health.failed(RedisFull(OOM_7), op="command")
        health.failed(RedisBusy(BUSY), op="likes_flush")
    assert metrics.redis_failures_total.value(kind="oom") == 50
    assert metrics.redis_failures_total.value(kind="busy") == 1
    assert metrics.redis_errors_total.value(op="command") == 50
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and "(oom)" in lines[0] and "(busy)" in lines[1]
    assert not any(r.exc_info for r in caplog.records)  # never a traceback


def test_only_refused_writes_degrade_the_store() -> None:
    health = RedisHealth(Metrics(), proc="p")
    health.failed(RedisConnectionError("Connection refused"), op="command")
    assert not health.degraded  # PING fails then: /readyz sees it without help
    health.failed(RedisFull(OOM_7), op="command")
    assert health.degraded
    health.succeeded()
    assert not health.degraded
