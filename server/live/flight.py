"""One call in flight per key: concurrent callers share its result.

Used where many sockets need the same slow thing at once (a channel's start,
a broadcast's snapshot read): the first caller runs it, the others await the
same future, shielded, so one caller's cancellation does not cancel it for
the rest. An exception reaches every caller; nothing is cached here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class Flights(Generic[K, T]):
    def __init__(self) -> None:
        self._running: dict[K, asyncio.Future[T]] = {}

    def __contains__(self, key: K) -> bool:
        """A caller now would share a call already in flight."""
        return key in self._running

    async def run(self, key: K, call: Callable[[], Awaitable[T]]) -> T:
        pending = self._running.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            result = await call()
            future.set_result(result)
            return result
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # mark retrieved: waiters get it through shield
            raise
        finally:
            del self._running[key]
