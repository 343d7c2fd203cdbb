"""Giving memory back after a burst of connections (docs/performance.md,
"Joins, storms and growth").

A reconnect storm allocates per socket (uvicorn's protocol and parser, the
websocket's buffers, the hub's ``Conn``, frames in flight) and frees it all
when the sockets close; two things keep the process's RSS up afterwards:
objects in reference cycles (tasks, exceptions holding frames) wait for a
full collection, which CPython runs rarely once a heap is large, and glibc
keeps freed chunks in its arenas (one per thread that allocated) instead of
returning them to the system. After the number of open connections has
fallen by ``memory_trim_drop`` from its peak, the hub runs one full
``gc.collect()`` and glibc's ``malloc_trim(0)`` (in a worker thread: ctypes
releases the GIL), then follows the new peak. Measured by the storm test and
``bench`` ``storm``.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


def _malloc_trim() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)``, or None on another C library."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


class MemoryGiveBack:
    """Counts open websockets; gives memory back once a burst of them is over.

    ``opened``/``closed`` are called by every websocket (``server/live/ws.py``),
    so the peak is exact however short the burst; the loop only compares."""

    def __init__(self, *, drop: int, on_trim: Callable[[], None]) -> None:
        self._drop = drop
        self._on_trim = on_trim
        self.open = 0
        self._peak = 0
        self._moves = 0  # opens and closes so far
        self._seen = 0  # ... at the previous check
        self._trim = _malloc_trim()

    def opened(self) -> None:
        self.open += 1
        self._moves += 1
        if self.open > self._peak:
            self._peak = self.open

    def closed(self) -> None:
        self.open = max(0, self.open - 1)
        self._moves += 1

    def due(self) -> bool:
        """Whether the open sockets fell by ``drop`` from their peak since the
        last time, and nothing opened or closed since the previous check: a
        trim holds glibc's allocator lock, so it waits for the burst to be over
        (measured: a trim in the middle of a storm stalled the event loop past
        the Redis timeout)."""
        quiet = self._moves == self._seen
        self._seen = self._moves
        return self._drop > 0 and quiet and self._peak - self.open >= self._drop

    async def give_back(self) -> None:
        gc.collect()
        if self._trim is not None:
            await asyncio.to_thread(self._trim)
        self._peak = self.open
        self._on_trim()

    async def run(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                if self.due():
                    await self.give_back()
            except Exception:  # a failed trim must not stop the loop
                log.exception("giving memory back failed")
