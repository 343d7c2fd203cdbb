"""Counters, gauges and histograms, rendered as Prometheus text format 0.0.4.

No dependency and no locks: every metric is updated from the event loop's
thread only (scrypt threads and the like never touch metrics). Updates sit on
the hot path, so ``inc()`` is one dict lookup keyed by the tuple of label
values; ``labels(...)`` pre-binds that tuple for even cheaper repeated updates.

Labels are low-cardinality by contract (role, close code, outcome, op): never a
broadcast id, viewer id, IP or text, which would grow the registry without
bound and leak identities to whoever scrapes ``/metrics``.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterator, Sequence
from typing import TypeVar

_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")

# Redis round trips: a local command takes ~0.2 ms, a 100-command pipeline a few ms.
REDIS_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

LabelKey = tuple[str, ...]


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def format_value(value: float) -> str:
    """A sample value: integers without ".0", and Prometheus' +Inf/-Inf/NaN."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def _label_text(names: Sequence[str], values: Sequence[str]) -> str:
    if not names:
        return ""
    pairs = ",".join(f'{n}="{_escape_label(v)}"' for n, v in zip(names, values, strict=True))
    return "{" + pairs + "}"


class _Metric:
    kind = "untyped"

    def __init__(self, name: str, help: str, labelnames: Sequence[str] = ()) -> None:
        if not _NAME_RE.fullmatch(name):
            raise ValueError(f"invalid metric name {name!r}")
        for label in labelnames:
            if not _LABEL_RE.fullmatch(label) or label.startswith("__") or label == "le":
                raise ValueError(f"invalid label name {label!r} for {name}")
        self.name = name
        self.help = help
        self.labelnames = tuple(labelnames)

    def _key(self, labels: dict[str, object]) -> LabelKey:
        if not labels and not self.labelnames:
            return ()
        try:
            key = tuple(str(labels[n]) for n in self.labelnames)
        except KeyError:
            raise ValueError(f"{self.name} takes labels {self.labelnames}") from None
        if len(labels) != len(self.labelnames):
            raise ValueError(f"{self.name} takes labels {self.labelnames}, got {sorted(labels)}")
        return key

    def samples(self) -> Iterator[str]:
        raise NotImplementedError

    def render(self) -> Iterator[str]:
        yield f"# HELP {self.name} {_escape_help(self.help)}"
        yield f"# TYPE {self.name} {self.kind}"
        yield from self.samples()


class _Valued(_Metric):
    """A metric with one number per label set (counters and gauges)."""

    def __init__(self, name: str, help: str, labelnames: Sequence[str] = ()) -> None:
        super().__init__(name, help, labelnames)
        self._values: dict[LabelKey, float] = {}
        if not self.labelnames:
            self._values[()] = 0.0  # an unlabelled metric is exposed from the start

    def value(self, **labels: object) -> float:
        return self._values.get(self._key(labels), 0.0)

    def samples(self) -> Iterator[str]:
        for key, value in sorted(self._values.items()):
            yield f"{self.name}{_label_text(self.labelnames, key)} {format_value(value)}"


class Counter(_Valued):
    kind = "counter"

    def inc(self, amount: float = 1, **labels: object) -> None:
        if amount < 0:
            raise ValueError("a counter only goes up")
        key = self._key(labels)
        self._values[key] = self._values.get(key, 0.0) + amount

    def labels(self, **labels: object) -> BoundCounter:
        return BoundCounter(self, self._key(labels))


class BoundCounter:
    """A counter with its label values fixed: ``inc()`` without building a key."""

    __slots__ = ("_key", "_values")

    def __init__(self, counter: Counter, key: LabelKey) -> None:
        self._values = counter._values
        self._key = key
        self._values.setdefault(key, 0.0)

    def inc(self, amount: float = 1) -> None:
        if amount < 0:
            raise ValueError("a counter only goes up")
        self._values[self._key] += amount


class Gauge(_Valued):
    kind = "gauge"

    def set(self, value: float, **labels: object) -> None:
        self._values[self._key(labels)] = value

    def inc(self, amount: float = 1, **labels: object) -> None:
        key = self._key(labels)
        self._values[key] = self._values.get(key, 0.0) + amount

    def dec(self, amount: float = 1, **labels: object) -> None:
        self.inc(-amount, **labels)


class Histogram(_Metric):
    """Fixed upper bounds; buckets are rendered cumulative, ending with +Inf."""

    kind = "histogram"

    def __init__(
        self,
        name: str,
        help: str,
        labelnames: Sequence[str] = (),
        buckets: Sequence[float] = REDIS_LATENCY_BUCKETS,
    ) -> None:
        super().__init__(name, help, labelnames)
        bounds = tuple(float(b) for b in buckets)
        if not bounds or list(bounds) != sorted(set(bounds)) or math.isinf(bounds[-1]):
            raise ValueError("buckets must be finite, increasing and not empty")
        self.buckets = bounds
        # Per label set: [count per bucket (not cumulative) + one for +Inf], sum.
        self._counts: dict[LabelKey, list[int]] = {}
        self._sums: dict[LabelKey, float] = {}
        if not self.labelnames:
            self._counts[()] = [0] * (len(bounds) + 1)
            self._sums[()] = 0.0

    def observe(self, value: float, **labels: object) -> None:
        key = self._key(labels)
        counts = self._counts.get(key)
        if counts is None:
            counts = self._counts[key] = [0] * (len(self.buckets) + 1)
            self._sums[key] = 0.0
        # bisect_left: the first bound >= value, since "le" is inclusive.
        counts[bisect.bisect_left(self.buckets, value)] += 1
        self._sums[key] += value

    def count(self, **labels: object) -> int:
        return sum(self._counts.get(self._key(labels), ()))

    def samples(self) -> Iterator[str]:
        names = (*self.labelnames, "le")
        for key, counts in sorted(self._counts.items()):
            running = 0
            for bound, n in zip((*self.buckets, math.inf), counts, strict=True):
                running += n
                le = "+Inf" if math.isinf(bound) else repr(bound)
                yield f"{self.name}_bucket{_label_text(names, (*key, le))} {running}"
            labels = _label_text(self.labelnames, key)
            yield f"{self.name}_sum{labels} {format_value(self._sums[key])}"
            yield f"{self.name}_count{labels} {running}"


M = TypeVar("M", bound=_Metric)


class Registry:
    def __init__(self) -> None:
        self._metrics: dict[str, _Metric] = {}

    def add(self, metric: M) -> M:
        if metric.name in self._metrics:
            raise ValueError(f"metric {metric.name} registered twice")
        self._metrics[metric.name] = metric
        return metric

    def render(self) -> str:
        """The whole registry, text format 0.0.4 (``text/plain; version=0.0.4``)."""
        lines = [line for metric in self._metrics.values() for line in metric.render()]
        return "\n".join(lines) + "\n"


CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """Every metric of the hub, created in one place (one instance per app)."""

    def __init__(self) -> None:
        r = self.registry = Registry()
        # --- connections ---
        self.connections = r.add(Gauge("xs_connections", "Open websockets.", ["role"]))
        self.connections_total = r.add(
            Counter("xs_connections_total", "Websockets accepted.", ["role"])
        )
        self.closes_total = r.add(
            Counter("xs_closes_total", "Websockets closed, by close code.", ["code"])
        )
        self.half_open_closed_total = r.add(
            Counter(
                "xs_half_open_closed_total",
                "Connections closed before finishing their request, by reason "
                "(deadline, per_address, total).",
                ["reason"],
            )
        )
        self.origin_refused_total = r.add(
            Counter("xs_origin_refused_total", "Handshakes refused for their Origin.")
        )
        # --- traffic ---
        self.frames_in_total = r.add(Counter("xs_frames_in_total", "Frames received."))
        self.frames_out_total = r.add(Counter("xs_frames_out_total", "Frames sent."))
        self.events_out_total = r.add(
            Counter("xs_events_out_total", "Events sent (a frame carries one or more).")
        )
        self.acks_total = r.add(Counter("xs_acks_total", "Command acks sent, by type.", ["type"]))
        self.errors_total = r.add(
            Counter("xs_errors_total", "Errors sent to clients, by code.", ["code"])
        )
        self.rate_limited_total = r.add(
            Counter("xs_rate_limited_total", "Requests refused by a rate limit.", ["kind"])
        )
        self.slow_consumer_drops_total = r.add(
            Counter("xs_slow_consumer_drops_total", "Clients closed for not reading.")
        )
        self.resumes_total = r.add(
            Counter("xs_resumes_total", "Resume attempts, by outcome.", ["outcome"])
        )
        self.snapshot_reads_total = r.add(
            Counter(
                "xs_snapshot_reads_total",
                "Snapshots served, by source (shared cache or Redis).",
                ["kind"],
            )
        )
        # --- likes ---
        self.likes_received_total = r.add(
            Counter("xs_likes_received_total", "Likes received from clients.")
        )
        self.likes_throttled_total = r.add(
            Counter("xs_likes_throttled_total", "Likes dropped by the per-viewer budget.")
        )
        self.likes_flushed_total = r.add(
            Counter("xs_likes_flushed_total", "Likes written to Redis.")
        )
        self.like_flushes_total = r.add(
            Counter("xs_like_flushes_total", "Like flush writes to Redis.")
        )
        # --- Redis ---
        self.redis_errors_total = r.add(
            Counter("xs_redis_errors_total", "Failed Redis operations.", ["op"])
        )
        self.redis_failures_total = r.add(
            Counter(
                "xs_redis_failures_total",
                "Failed Redis operations by kind (oom, busy, pool, timeout, connection).",
                ["kind"],
            )
        )
        self.redis_latency_seconds = r.add(
            Histogram("xs_redis_latency_seconds", "Redis round-trip time.", ["op"])
        )
        self.tailer_restarts_total = r.add(
            Counter("xs_tailer_restarts_total", "Event stream tailers restarted after an error.")
        )

    def render(self) -> str:
        return self.registry.render()
