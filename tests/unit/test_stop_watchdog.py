"""The stop watchdog of ``python -m server run`` (server/cli.py): once uvicorn
is asked to stop, a process that is still running past the deadline logs the
tasks it waits on and exits; one that finished in time is left alone."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import threading
from types import SimpleNamespace

import pytest

from server import cli


@pytest.mark.anyio
async def test_pending_tasks_are_named_with_where_they_wait() -> None:
    async def stuck() -> None:
        await asyncio.Event().wait()

    task = asyncio.create_task(stuck(), name="stuck-read")
    await asyncio.sleep(0)
    # The hub's lifespan freezes the heap: the report must still find the task.
    gc.freeze()
    try:
        found = [line for line in cli._pending_tasks() if line.startswith("stuck-read ")]
    finally:
        gc.unfreeze()
        task.cancel()
    assert len(found) == 1, found
    assert "asyncio/locks.py" in found[0] and "(cancelling=0)" in found[0]


def test_a_stuck_stop_is_reported_and_ended(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    exited = threading.Event()
    codes: list[int] = []

    def fake_exit(code: int) -> None:
        codes.append(code)
        exited.set()
        threading.Event().wait()  # never returns, as the real one (a daemon thread)

    monkeypatch.setattr(cli, "STOP_DEADLINE_S", 0.2)
    monkeypatch.setattr(os, "_exit", fake_exit)
    # The report must not stand between the deadline and the exit.
    monkeypatch.setattr(cli, "_pending_tasks", lambda: 1 / 0)
    server = SimpleNamespace(should_exit=True)
    with caplog.at_level(logging.ERROR, "xs.hub"):
        cli._stop_watchdog(server)
        assert exited.wait(10)
    assert codes == [cli.STUCK_AT_STOP]


def test_a_stop_in_time_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    codes: list[int] = []
    monkeypatch.setattr(cli, "STOP_DEADLINE_S", 0.2)
    monkeypatch.setattr(os, "_exit", codes.append)
    before = set(threading.enumerate())
    served = cli._stop_watchdog(SimpleNamespace(should_exit=True))
    served.set()  # uvicorn returned before the deadline
    (watchdog,) = [t for t in set(threading.enumerate()) - before if t.name == "stop-watchdog"]
    watchdog.join(10)
    assert not watchdog.is_alive() and codes == []
