"""The hub's counters, gauges and histograms, exposed by prometheus-client.

prometheus-client writes the exposition (text format 0.0.4: escaping, number
format, cumulative buckets); this module only keeps the numbers. Each update is
a plain number in a dict keyed by the tuple of label values, read by a
collector at scrape time (the library's "custom collector" pattern), because:

- updates sit on the hot path (one per received frame, per command, per close)
  and the library's own ``Counter`` costs about twice as much per update
  (a lock per ``inc`` and a lock per ``labels()``; ``bench/metrics_cost.py``,
  figures in docs/performance.md). Every metric is updated from the event
  loop's thread only, so no lock is needed;
- the names dashboards already use include a gauge ``xs_connections`` next to
  a counter ``xs_connections_total``; the library's ``Counter`` names its
  family without ``_total`` and refuses that pair as duplicated series.

One registry per ``Metrics`` (one per hub process, served at its own
``/metrics``); docs/architecture.md says why not the library's multiprocess
mode. Labels are low-cardinality by contract (role, close code, outcome, op):
never a broadcast id, viewer id, IP or text, which would grow the registry
without bound and leak identities to whoever scrapes ``/metrics``.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

# Text format 0.0.4, the one every Prometheus reads; not the library's
# "latest" (1.0.0), whose name escaping some scrapers do not know yet.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")

# Redis round trips: a local command takes ~0.2 ms, a 100-command pipeline a few ms.
REDIS_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

LabelKey = tuple[str, ...]


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
        names = self.labelnames
        if not labels and not names:  # the most frequent updates are unlabelled
            return ()
        if len(labels) != len(names):
            raise ValueError(f"{self.name} takes labels {names}, got {sorted(labels)}")
        try:
            if len(names) == 1:  # the common case, without a generator
                return (str(labels[names[0]]),)
            return tuple(str(labels[n]) for n in names)
        except KeyError:
            raise ValueError(f"{self.name} takes labels {names}, got {sorted(labels)}") from None

    def family(self) -> Metric:
        """The metric as prometheus-client's family, read at scrape time."""
        raise NotImplementedError


class _Valued(_Metric):
    """A metric with one number per label set (counters and gauges)."""

    def __init__(self, name: str, help: str, labelnames: Sequence[str] = ()) -> None:
        super().__init__(name, help, labelnames)
        self._values: dict[LabelKey, float] = {}
        if not self.labelnames:
            self._values[()] = 0.0  # an unlabelled metric is exposed from the start

    def value(self, **labels: object) -> float:
        return self._values.get(self._key(labels), 0.0)

    def _fill(self, family: CounterMetricFamily | GaugeMetricFamily) -> Metric:
        for key, value in sorted(self._values.items()):
            family.add_metric(list(key), value)
        return family


class Counter(_Valued):
    kind = "counter"

    def inc(self, amount: float = 1, **labels: object) -> None:
        if amount < 0:
            raise ValueError("a counter only goes up")
        key = self._key(labels)
        self._values[key] = self._values.get(key, 0.0) + amount

    def labels(self, **labels: object) -> BoundCounter:
        return BoundCounter(self, self._key(labels))

    def family(self) -> Metric:
        # The family strips "_total" from the name and the exposition adds it
        # back to the TYPE line and the sample: the series keep their names.
        return self._fill(CounterMetricFamily(self.name, self.help, labels=self.labelnames))


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

    def family(self) -> Metric:
        return self._fill(GaugeMetricFamily(self.name, self.help, labels=self.labelnames))


class Histogram(_Metric):
    """Fixed upper bounds; the exposition makes the buckets cumulative, ending with +Inf."""

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
        self._bounds_text = [*(repr(b) for b in bounds), "+Inf"]  # "le" as the library writes it
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

    def family(self) -> Metric:
        family = HistogramMetricFamily(self.name, self.help, labels=self.labelnames)
        for key, counts in sorted(self._counts.items()):
            cumulative: list[tuple[str, float]] = []
            running = 0
            for bound, n in zip(self._bounds_text, counts, strict=True):
                running += n
                cumulative.append((bound, running))
            family.add_metric(list(key), cumulative, self._sums[key])
        return family


M = TypeVar("M", bound=_Metric)


class HubCollector(Collector):
    """prometheus-client's view of the hub's metrics: families built at scrape time."""

    def __init__(self) -> None:
        self._metrics: dict[str, _Metric] = {}

    def add(self, metric: M) -> M:
        # The registry cannot check names here (the collector has no describe()
        # on purpose: xs_connections and xs_connections_total would collide).
        if metric.name in self._metrics:
            raise ValueError(f"metric {metric.name} registered twice")
        self._metrics[metric.name] = metric
        return metric

    def __iter__(self) -> Iterator[_Metric]:
        return iter(self._metrics.values())

    def collect(self) -> Iterable[Metric]:
        for metric in self._metrics.values():
            yield metric.family()


class Metrics:
    """Every metric of the hub, created in one place (one instance per app)."""

    def __init__(self, *, process: bool = True) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        r = self.collector = HubCollector()
        self.registry.register(r)
        if process:
            # The library's process_* series (CPU, resident memory, open file
            # descriptors against their limit): every websocket is a descriptor.
            ProcessCollector(registry=self.registry)
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
        self.resume_reads_total = r.add(
            Counter(
                "xs_resume_reads_total",
                "Resumes from before the ring, by source (one Redis read or shared).",
                ["kind"],
            )
        )
        self.memory_trims_total = r.add(
            Counter(
                "xs_memory_trims_total",
                "Times memory was given back after a burst of connections ended.",
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

    def render(self) -> bytes:
        """The whole registry, text format 0.0.4 (serve it with ``CONTENT_TYPE``)."""
        return generate_latest(self.registry)
