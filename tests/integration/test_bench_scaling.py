"""A seconds-long run of the sizing table's scenarios (bench/scaling.py and
``fanout_workers``; docs/scaling.md): they must count correctly. Timings are
``make bench``'s; here only that each write kind was written, that Redis's
own counters were read, and that ``run --workers 2`` lost and duplicated
nothing under the load generator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]


def test_quick_scaling_bench_counts_exactly(tmp_path: Path) -> None:
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "slot,redis_ops,fanout_workers",
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = orjson.loads((out / "latest.json").read_bytes())
    slot = results["slot"]
    for kind in ("ask", "upvote", "likes_flush"):
        assert slot[kind]["writes"] > 0, slot
        assert slot[kind]["redis_cpu_us_per_write"] > 0, slot
    assert slot["stream_events"] > 0 and slot["stream_bytes_per_event"] > 0
    ops = results["redis_ops"]
    # One write script per question and per join at least (the question's
    # is ask.lua, the join's the snapshot), and the script's own commands.
    for what in ("question", "join"):
        assert ops[what]["by_command"]["evalsha"] >= 1, ops
    assert ops["question"]["by_command"]["xadd"] >= 1
    assert ops["like_batch"]["by_command"]["incrby"] >= 1
    workers = results["fanout_workers"]
    for run in ("workers_1", "workers_2"):
        assert workers[run]["clients"] == 40 and workers[run]["connect_errors"] == 0
        assert workers[run]["missing"] == 0 and workers[run]["duplicated"] == 0
        assert workers[run]["events_per_s"] > 0
