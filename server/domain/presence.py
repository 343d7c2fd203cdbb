"""Viewer counts: summing the heartbeats of every hub process.

Each hub process writes ``count:expires_ms`` for each broadcast it serves every
``presence_interval_s``. A process that dies stops renewing its entry, so its
viewers stop being counted once the entry expires (``presence_ttl_s``), without
anyone having to notice the death.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# process id -> (viewers connected to that process, time the entry expires)
Entries = Mapping[str, tuple[int, int]]


def live_count(entries: Entries, now_ms: int) -> int:
    """Viewers connected to processes whose heartbeat has not expired."""
    return sum(count for count, expires_ms in entries.values() if expires_ms > now_ms)


def expired(entries: Entries, now_ms: int) -> list[str]:
    """Process ids whose entries may be deleted (sorted, for stable scripts and tests)."""
    return sorted(pid for pid, (_, expires_ms) in entries.items() if expires_ms <= now_ms)


@dataclass(frozen=True)
class Presence:
    # Viewers connected now.
    now: int
    # Highest ``now`` seen during the broadcast.
    peak: int
    # Distinct viewer ids seen (HyperLogLog estimate, about 1% error).
    unique: int

    def to_dict(self) -> dict[str, int]:
        return {"now": self.now, "peak": self.peak, "unique": self.unique}
