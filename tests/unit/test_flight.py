"""One call in flight per key: shared result, shared failure, cancellation kept local."""

from __future__ import annotations

import asyncio

import pytest

from server.live.flight import Flights

pytestmark = pytest.mark.anyio


async def test_concurrent_callers_share_one_call() -> None:
    flights: Flights[str, int] = Flights()
    calls = 0
    gate = asyncio.Event()

    async def slow() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        return 42

    tasks = [asyncio.create_task(flights.run("k", slow)) for _ in range(5)]
    await asyncio.sleep(0)
    assert "k" in flights
    gate.set()
    assert await asyncio.gather(*tasks) == [42] * 5
    assert calls == 1
    assert "k" not in flights


async def test_a_failure_reaches_every_caller_and_is_not_kept() -> None:
    flights: Flights[str, int] = Flights()
    gate = asyncio.Event()

    async def failing() -> int:
        await gate.wait()
        raise ValueError("no")

    tasks = [asyncio.create_task(flights.run("k", failing)) for _ in range(3)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, ValueError) for r in results)

    async def fine() -> int:
        return 1

    assert await flights.run("k", fine) == 1


async def test_a_waiter_cancelled_does_not_cancel_the_call() -> None:
    flights: Flights[str, int] = Flights()
    gate = asyncio.Event()

    async def slow() -> int:
        await gate.wait()
        return 7

    first = asyncio.create_task(flights.run("k", slow))
    waiter = asyncio.create_task(flights.run("k", slow))
    await asyncio.sleep(0)
    waiter.cancel()
    gate.set()
    assert await first == 7
    with pytest.raises(asyncio.CancelledError):
        await waiter
