"""server.metrics: the hub's numbers, exposed by prometheus-client in text format 0.0.4."""

from __future__ import annotations

import math
import re

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry

from server.metrics import (
    CONTENT_TYPE,
    REDIS_LATENCY_BUCKETS,
    Counter,
    Gauge,
    Histogram,
    HubCollector,
    M,
    Metrics,
)

# name{labels} value, labels as in the format: key="escaped value",...
_SAMPLE_RE = re.compile(
    r'(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>(?:[a-zA-Z_]\w*="(?:[^"\\\n]|\\.)*",?)*)\})?'
    r" (?P<value>\S+)"
)
_LABEL_RE = re.compile(r'([a-zA-Z_]\w*)="((?:[^"\\\n]|\\.)*)"')


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def parse(text: str) -> tuple[dict[str, tuple[str, str]], list[tuple[str, dict[str, str], float]]]:
    """(name -> (help, type), samples) of an exposition; fails on any malformed line."""
    assert text.endswith("\n")
    meta: dict[str, list[str]] = {}
    samples: list[tuple[str, dict[str, str], float]] = []
    for line in text[:-1].split("\n"):
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            meta.setdefault(name, []).append(help_text)
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert kind in ("counter", "gauge", "histogram"), line
            meta.setdefault(name, []).append(kind)
        else:
            match = _SAMPLE_RE.fullmatch(line)
            assert match, f"malformed line {line!r}"
            labels = {k: _unescape(v) for k, v in _LABEL_RE.findall(match["labels"] or "")}
            samples.append((match["name"], labels, float(match["value"])))
    out = {}
    for name, (help_text, kind) in meta.items():
        out[name] = (help_text, kind)
    return out, samples


class Registry:
    """Metrics in a collector and registry of their own, as ``Metrics`` keeps them."""

    def __init__(self) -> None:
        self.collector = HubCollector()
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.collector)

    def add(self, metric: M) -> M:
        return self.collector.add(metric)

    def render(self) -> str:
        return generate_latest(self.registry).decode()


def test_counter_render() -> None:
    reg = Registry()
    plain = reg.add(Counter("x_total", "Things."))
    coded = reg.add(Counter("closes_total", "Closes.", ["code"]))
    plain.inc()
    plain.inc(2.5)
    coded.inc(code=1000)
    coded.inc(code="4008")
    coded.inc(3, code=1000)
    meta, samples = parse(reg.render())
    assert meta == {"x_total": ("Things.", "counter"), "closes_total": ("Closes.", "counter")}
    assert ("x_total", {}, 3.5) in samples
    assert ("closes_total", {"code": "1000"}, 4.0) in samples
    assert ("closes_total", {"code": "4008"}, 1.0) in samples
    assert coded.value(code=1000) == 4


def test_unlabelled_metrics_are_exposed_at_zero() -> None:
    reg = Registry()
    reg.add(Counter("a_total", "A."))
    reg.add(Counter("b_total", "B.", ["kind"]))
    _, samples = parse(reg.render())
    assert samples == [("a_total", {}, 0.0)]


def test_counter_refuses_decrease_and_wrong_labels() -> None:
    c = Counter("c_total", "C.", ["role"])
    with pytest.raises(ValueError):
        c.inc(-1, role="viewer")
    with pytest.raises(ValueError):
        c.inc()
    with pytest.raises(ValueError):
        c.inc(role="viewer", extra="x")
    with pytest.raises(ValueError):
        c.inc(other="x")


def test_bound_counter() -> None:
    c = Counter("c_total", "C.", ["role"])
    viewer = c.labels(role="viewer")
    viewer.inc()
    viewer.inc(2)
    c.inc(role="viewer")
    assert c.value(role="viewer") == 4
    with pytest.raises(ValueError):
        viewer.inc(-1)


def test_gauge() -> None:
    reg = Registry()
    g = reg.add(Gauge("conns", "Open.", ["role"]))
    g.inc(role="viewer")
    g.inc(role="viewer")
    g.dec(role="viewer")
    g.set(7, role="overlay")
    g.dec(role="moderator")
    meta, samples = parse(reg.render())
    assert meta["conns"][1] == "gauge"
    assert sorted(samples, key=lambda s: s[1]["role"]) == [
        ("conns", {"role": "moderator"}, -1.0),
        ("conns", {"role": "overlay"}, 7.0),
        ("conns", {"role": "viewer"}, 1.0),
    ]


@pytest.mark.parametrize("raw", ['a"b', "back\\slash", "new\nline", 'all\\"\n', "协商", "}{,= "])
def test_label_values_escaped(raw: str) -> None:
    reg = Registry()
    reg.add(Counter("e_total", "E.", ["kind"])).inc(kind=raw)
    text = reg.render()
    assert text.count("\n") == 3  # HELP, TYPE, one sample: no raw newline leaked
    _, samples = parse(text)
    assert samples == [("e_total", {"kind": raw}, 1.0)]


def test_help_escaped() -> None:
    reg = Registry()
    reg.add(Counter("h_total", "line one\nline \\two"))
    text = reg.render()
    assert "# HELP h_total line one\\nline \\\\two\n" in text


def test_histogram_cumulative() -> None:
    reg = Registry()
    h = reg.add(Histogram("lat_seconds", "Latency.", ["op"]))
    for v in (0.0001, 0.0005, 0.003, 0.003, 0.7, 99.0):
        h.observe(v, op="get")
    h.observe(0.002, op="set")
    meta, samples = parse(reg.render())
    assert meta["lat_seconds"] == ("Latency.", "histogram")
    get = [
        (s[1]["le"], s[2]) for s in samples if s[0] == "lat_seconds_bucket" and s[1]["op"] == "get"
    ]
    assert [le for le, _ in get] == [repr(b) for b in REDIS_LATENCY_BUCKETS] + ["+Inf"]
    counts = dict(get)
    assert counts["0.0005"] == 2  # le is inclusive
    assert counts["0.001"] == 2
    assert counts["0.005"] == 4
    assert counts["1.0"] == 5
    assert counts["2.5"] == 5
    assert counts["+Inf"] == 6
    values = [c for _, c in get]
    assert values == sorted(values)
    assert ("lat_seconds_count", {"op": "get"}, 6.0) in samples
    total = next(s[2] for s in samples if s[0] == "lat_seconds_sum" and s[1] == {"op": "get"})
    assert math.isclose(total, 0.0001 + 0.0005 + 0.006 + 0.7 + 99.0)
    assert ("lat_seconds_count", {"op": "set"}, 1.0) in samples
    assert h.count(op="get") == 6


def test_histogram_unlabelled_starts_at_zero() -> None:
    reg = Registry()
    reg.add(Histogram("h_seconds", "H.", buckets=(0.1, 1)))
    _, samples = parse(reg.render())
    assert samples == [
        ("h_seconds_bucket", {"le": "0.1"}, 0.0),
        ("h_seconds_bucket", {"le": "1.0"}, 0.0),
        ("h_seconds_bucket", {"le": "+Inf"}, 0.0),
        ("h_seconds_count", {}, 0.0),
        ("h_seconds_sum", {}, 0.0),
    ]


@pytest.mark.parametrize("buckets", [(), (1.0, 0.5), (1.0, 1.0), (1.0, math.inf)])
def test_histogram_bad_buckets(buckets: tuple[float, ...]) -> None:
    with pytest.raises(ValueError):
        Histogram("h", "H.", buckets=buckets)


@pytest.mark.parametrize(
    "name, labels",
    [("1bad", ()), ("bad-name", ()), ("ok", ("le",)), ("ok", ("__x",)), ("ok", ("a-b",))],
)
def test_invalid_names(name: str, labels: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        Counter(name, "x", labels)


def test_registry_refuses_duplicates() -> None:
    reg = Registry()
    reg.add(Counter("d_total", "D."))
    with pytest.raises(ValueError):
        reg.add(Gauge("d_total", "D."))


def test_special_values_parse_with_the_librarys_parser() -> None:
    reg = Registry()
    g = reg.add(Gauge("g", "G.", ["kind"]))
    for kind, value in (("up", math.inf), ("down", -math.inf), ("big", 1e20), ("q", 0.25)):
        g.set(value, kind=kind)
    reg.add(Counter("c_total", "C.")).inc(3)
    families = {f.name: f for f in text_string_to_metric_families(reg.render())}
    assert families["c"].type == "counter"
    assert [(s.name, s.value) for s in families["c"].samples] == [("c_total", 3.0)]
    got = {s.labels["kind"]: s.value for s in families["g"].samples}
    assert got == {"up": math.inf, "down": -math.inf, "big": 1e20, "q": 0.25}


def test_project_metrics() -> None:
    m = Metrics()
    m.connections.inc(role="viewer")
    m.connections_total.inc(role="viewer")
    m.closes_total.inc(code=1012)
    m.frames_in_total.inc()
    m.frames_out_total.inc(3)
    m.events_out_total.inc(5)
    m.acks_total.inc(type="ask")
    m.errors_total.inc(code="rate_limited")
    m.likes_received_total.inc(10)
    m.likes_throttled_total.inc(2)
    m.likes_flushed_total.inc(8)
    m.like_flushes_total.inc()
    m.resumes_total.inc(outcome="events")
    m.slow_consumer_drops_total.inc()
    m.rate_limited_total.inc(kind="question")
    m.redis_errors_total.inc(op="xread")
    m.redis_latency_seconds.observe(0.0003, op="eval")
    m.tailer_restarts_total.inc()
    m.origin_refused_total.inc()
    m.snapshot_reads_total.inc(kind="shared")
    m.resume_reads_total.inc(kind="redis")
    m.memory_trims_total.inc()
    m.half_open_closed_total.inc(reason="deadline")
    m.redis_failures_total.inc(kind="oom")
    meta, samples = parse(m.render().decode())
    meta = {name: v for name, v in meta.items() if not name.startswith("process_")}
    assert len(meta) == 24
    for name, (help_text, _) in meta.items():
        assert name.startswith("xs_") and help_text
    names = {s[0] for s in samples}
    for name, (_, kind) in meta.items():
        if kind == "histogram":
            assert {name + "_bucket", name + "_sum", name + "_count"} <= names
        else:
            assert name in names
    assert ("xs_frames_out_total", {}, 3.0) in samples
    assert ("xs_closes_total", {"code": "1012"}, 1.0) in samples
    assert ("xs_redis_latency_seconds_bucket", {"op": "eval", "le": "0.0005"}, 1.0) in samples


# What /metrics exposed before prometheus-client wrote it (hand-written text
# format, read off a hub with every series touched): dashboards and alerts use
# these names, types and label names, so the exposition must keep them exactly.
# (name on the TYPE line, type, label names of its samples besides "le")
EXPOSED_BEFORE = {
    ("xs_connections", "gauge", ("role",)),
    ("xs_connections_total", "counter", ("role",)),
    ("xs_closes_total", "counter", ("code",)),
    ("xs_origin_refused_total", "counter", ()),
    ("xs_frames_in_total", "counter", ()),
    ("xs_frames_out_total", "counter", ()),
    ("xs_events_out_total", "counter", ()),
    ("xs_acks_total", "counter", ("type",)),
    ("xs_errors_total", "counter", ("code",)),
    ("xs_rate_limited_total", "counter", ("kind",)),
    ("xs_slow_consumer_drops_total", "counter", ()),
    ("xs_resumes_total", "counter", ("outcome",)),
    ("xs_snapshot_reads_total", "counter", ("kind",)),
    ("xs_resume_reads_total", "counter", ("kind",)),
    ("xs_memory_trims_total", "counter", ()),
    ("xs_likes_received_total", "counter", ()),
    ("xs_likes_throttled_total", "counter", ()),
    ("xs_likes_flushed_total", "counter", ()),
    ("xs_like_flushes_total", "counter", ()),
    ("xs_redis_errors_total", "counter", ("op",)),
    ("xs_redis_latency_seconds", "histogram", ("op",)),
    ("xs_tailer_restarts_total", "counter", ()),
}
# Added since, on purpose (each new series is listed here, so none appears by accident).
ADDED_SINCE = {
    ("xs_half_open_closed_total", "counter", ("reason",)),
    ("xs_redis_failures_total", "counter", ("kind",)),
}


def touched_metrics() -> Metrics:
    """A ``Metrics`` with one series of every metric, so every label name shows."""
    m = Metrics()
    for metric in m.collector:
        labels = {name: "x" for name in metric.labelnames}
        if isinstance(metric, Histogram):
            metric.observe(0.001, **labels)
        else:
            assert isinstance(metric, Counter | Gauge)
            metric.inc(**labels)
    return m


def test_exposition_keeps_the_names_types_and_labels_dashboards_use() -> None:
    meta, samples = parse(touched_metrics().render().decode())
    exposed = set()
    for name, (_, kind) in meta.items():
        if name.startswith("process_"):
            continue
        series = [s for s in samples if s[0] == name or s[0].startswith(name + "_")]
        labels = {tuple(sorted(set(s[1]) - {"le"})) for s in series}
        assert len(labels) == 1, (name, labels)
        exposed.add((name, kind, labels.pop()))
    assert exposed == EXPOSED_BEFORE | ADDED_SINCE
    # A histogram keeps its three sample names; counters keep "_total" on the sample.
    names = {s[0] for s in samples}
    assert {"xs_redis_latency_seconds_bucket", "xs_redis_latency_seconds_sum"} <= names
    assert "xs_redis_latency_seconds_count" in names
    assert "xs_closes_total" in names and "xs_closes_total_total" not in names
    # No "_created" series: the hand-written exposition had none, and they
    # would double the series count of every counter.
    assert not any(name.endswith("_created") for name in names)


def test_exposition_parses_with_the_librarys_parser() -> None:
    text = touched_metrics().render().decode()
    families = [(f.name, f.type) for f in text_string_to_metric_families(text)]
    # The parser strips "_total" from a counter's family name: the gauge and the
    # counter of connections both read as "xs_connections", told apart by type.
    assert ("xs_connections", "gauge") in families
    assert ("xs_connections", "counter") in families
    assert ("xs_redis_latency_seconds", "histogram") in families
    assert ("process_open_fds", "gauge") in families  # the library's process collector
    assert CONTENT_TYPE == "text/plain; version=0.0.4; charset=utf-8"


def test_metrics_instances_do_not_share_numbers() -> None:
    a, b = Metrics(), Metrics()
    a.closes_total.inc(code="4008")
    assert a.closes_total.value(code="4008") == 1
    assert b.closes_total.value(code="4008") == 0
    assert 'xs_closes_total{code="4008"}' not in b.render().decode()
