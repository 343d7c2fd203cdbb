"""server/live/memory.py: memory is given back once a burst of sockets is over,
never in the middle of one (a trim holds the allocator's lock)."""

from __future__ import annotations

import pytest

from server.live.memory import MemoryGiveBack

pytestmark = pytest.mark.anyio


async def test_a_trim_waits_for_the_burst_to_end_then_follows_the_new_peak() -> None:
    trims: list[int] = []
    memory = MemoryGiveBack(drop=3, on_trim=lambda: trims.append(memory.open))
    assert not memory.due()
    for _ in range(5):
        memory.opened()
    assert not memory.due()  # open, no drop
    for _ in range(4):
        memory.closed()
    assert not memory.due()  # dropped by 4, but sockets moved since the last check
    assert memory.due()  # quiet since the last check: the burst is over
    await memory.give_back()
    assert trims == [1]
    assert not memory.due()  # the peak is now what is open
    memory.opened()
    memory.closed()
    memory.due()
    assert not memory.due()  # quiet, but no drop from the new peak


async def test_drop_zero_turns_it_off() -> None:
    memory = MemoryGiveBack(drop=0, on_trim=lambda: None)
    for _ in range(10):
        memory.opened()
    for _ in range(10):
        memory.closed()
    memory.due()
    assert not memory.due()
