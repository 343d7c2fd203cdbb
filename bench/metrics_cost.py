"""Hot-path cost of a metric update: ``python -m bench.metrics_cost``.

Times the updates the hub makes per received frame, per command and per
close, through ``server.metrics.Metrics`` (whatever implementation it has at
the commit being measured), next to prometheus-client's own ``Counter`` used
the two ways its documentation shows (``labels(...)`` per call, and a child
bound once). One process, one thread, best of several repeats, so the figure
is the update itself and not the machine's noise; docs/performance.md keeps
the results.
"""

from __future__ import annotations

import sys
import timeit
from collections.abc import Callable
from importlib.metadata import version

import prometheus_client

from server.metrics import Metrics

NUMBER = 100_000
REPEAT = 21


def per_call_ns(fn: Callable[[], object]) -> float:
    best = min(timeit.repeat(fn, number=NUMBER, repeat=REPEAT))
    return best / NUMBER * 1e9


def cases() -> dict[str, Callable[[], object]]:
    m = Metrics()
    registry = prometheus_client.CollectorRegistry()
    native = prometheus_client.Counter("n_frames_in", "x", registry=registry)
    native_coded = prometheus_client.Counter("n_closes", "x", ["code"], registry=registry)
    bound = native_coded.labels(code="1000")
    return {
        "Metrics: frames_in_total.inc()": lambda: m.frames_in_total.inc(),
        "Metrics: frames_out_total.inc(37)": lambda: m.frames_out_total.inc(37),
        "Metrics: closes_total.inc(code='1000')": lambda: m.closes_total.inc(code="1000"),
        "Metrics: acks_total.inc(type='Ask')": lambda: m.acks_total.inc(type="Ask"),
        "prometheus-client Counter.inc()": lambda: native.inc(),
        "prometheus-client labels(code=...).inc()": lambda: native_coded.labels(code="1000").inc(),
        "prometheus-client bound child .inc()": lambda: bound.inc(),
        "empty lambda (call overhead)": lambda: None,
    }


def busy_metrics(*, process: bool) -> Metrics:
    """The series of a busy hub (codes, types, ops), with or without process_*."""
    try:
        m = Metrics(process=process)
    except TypeError:  # the hand-written implementation had no process series
        m = Metrics()
    for code in ("1000", "1001", "1006", "1009", "1012", "4008", "4400", "4401", "4404", "4429"):
        m.closes_total.inc(code=code)
    for kind in ("Ask", "Upvote", "Like", "Vote", "Status", "Edit", "Overlay", "Update"):
        m.acks_total.inc(type=kind)
    for op in ("eval", "xread", "ping", "presence", "likes_flush"):
        m.redis_latency_seconds.observe(0.0004, op=op)
    for role in ("viewer", "moderator", "overlay"):
        m.connections.inc(role=role)
    return m


def scrape_us(*, process: bool) -> float:
    render = busy_metrics(process=process).render
    return min(timeit.repeat(render, number=200, repeat=REPEAT)) / 200 * 1e6


def main() -> None:
    print(f"Python {sys.version.split()[0]}, prometheus-client {version('prometheus-client')}")
    for name, fn in cases().items():
        print(f"{per_call_ns(fn):8.0f} ns  {name}")
    print(f"{scrape_us(process=False):8.0f} us  one scrape (xs_* series only)")
    print(f"{scrape_us(process=True):8.0f} us  one scrape (with process_*)")


if __name__ == "__main__":
    main()
