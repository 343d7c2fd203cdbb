"""What the parts of the live path need of their process, and nothing more.

``Channel``, ``LikeDesk`` and ``WordsDesk`` are built by the hub with this
object instead of the hub itself: they see the store, the settings, the
counters and a way to start background work, so none of them imports the hub
(a circle hub -> channel -> hub is what this replaces).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Coroutine
from typing import Any

from server.metrics import Metrics
from server.settings import Settings
from server.store.health import RedisHealth
from server.store.store import Store

Spawn = Callable[[Coroutine[Any, Any, Any]], None]


@dataclasses.dataclass(frozen=True, slots=True)
class LiveDeps:
    settings: Settings
    metrics: Metrics
    store: Store
    # Runs a coroutine as a task the hub keeps referenced and cancels at stop.
    spawn: Spawn
    # Redis failures by kind (OOM, BUSY, a full pool...): one place counts and logs them.
    health: RedisHealth
