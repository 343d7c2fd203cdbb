"""Counters a load worker keeps and the parent merges: frames, events, latency.

Latency is measured as the clients see it: arrival time minus the event's time,
which is the millisecond part of its stream position (Redis's clock; the raw
baseline stamps its own). Both clocks are this machine's, so no sync is needed.
A histogram with 1 ms buckets keeps merging exact and memory flat.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

HIST_MS = 10_000  # latencies >= 10 s land in the last bucket
COUNTERS = ("frames", "events", "duplicated", "acks", "errors", "connect_errors", "closed")


@dataclasses.dataclass
class Stats:
    frames: int = 0
    events: int = 0  # measured events (type "question" inside the window)
    duplicated: int = 0  # an event at or before the last position already seen
    acks: int = 0
    errors: int = 0
    connect_errors: int = 0
    closed: int = 0
    hist: list[int] = dataclasses.field(default_factory=lambda: [0] * (HIST_MS + 1))

    def latency(self, ms: float) -> None:
        self.hist[min(max(int(ms), 0), HIST_MS)] += 1

    def merge(self, other: dict[str, Any]) -> None:
        for name in (
            "frames",
            "events",
            "duplicated",
            "acks",
            "errors",
            "connect_errors",
            "closed",
        ):
            setattr(self, name, getattr(self, name) + int(other[name]))
        for i, n in enumerate(other["hist"]):
            self.hist[i] += n

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def percentile(self, q: float) -> float | None:
        total = sum(self.hist)
        if total == 0:
            return None
        rank = q * (total - 1)
        seen = 0
        for ms, n in enumerate(self.hist):
            seen += n
            if seen > rank:
                return float(ms)
        return float(HIST_MS)  # pragma: no cover


def pos_ms(pos: str) -> int:
    return int(pos.split("-", 1)[0])


def pos_key(pos: str) -> tuple[int, int]:
    ms, _, seq = pos.partition("-")
    return int(ms), int(seq or 0)


MEASURED = frozenset({"question", "on_air"})  # the event types whose latency is measured


def measure_events(
    stats: Stats, window: list[float], msg: dict[str, Any], last_key: tuple[int, int]
) -> tuple[int, int]:
    """Count one events frame: frames inside the window, measured events and
    their latency, duplicates (a position at or before the last one seen).
    Returns the new last position."""
    now = time.time() * 1000
    start, end = window
    if start <= now <= end:
        stats.frames += 1  # frames/s as the clients see them, inside the window
    for event in msg["events"]:
        pos = event.get("pos", "")
        key = pos_key(pos)
        if key <= last_key:
            stats.duplicated += 1
            continue
        last_key = key
        if event.get("type") in MEASURED:
            ms = pos_ms(pos)
            if start <= ms <= end:
                stats.events += 1
                stats.latency(now - ms)
    return last_key


def empty_totals() -> dict[str, Any]:
    """What a worker adds up besides ``Stats`` (merged key by key by the parent)."""
    return {"sent": 0, "accepted": 0, "messages": 0, "acked": [], "ack_ms": [],
            "acked_in_window": 0, "resend_mismatch": 0, "votes": 0, "asked": 0}  # fmt: skip
