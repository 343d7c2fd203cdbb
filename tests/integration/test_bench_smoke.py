"""A seconds-long run of the benchmark harness: it must count correctly.

Asserts correctness only (nothing missing, nothing duplicated, every tap
counted, every acked question stored); timings belong to ``make bench``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]


def test_quick_bench_counts_exactly(tmp_path: Path) -> None:
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only",
         "fanout,likes,questions,questions_paced,words,export,broadcasts",
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = orjson.loads((out / "latest.json").read_bytes())
    fanout = results["fanout"]
    assert fanout["clients"] == 40 and fanout["connect_errors"] == 0
    assert fanout["hub_events_per_s"] > 0 and fanout["raw_frames_per_s"] > 0
    assert fanout["missing"] == 0 and fanout["duplicated"] == 0 and fanout["raw_missing"] == 0
    likes = results["likes"]
    assert likes["taps_sent"] > 0
    assert likes["taps_counted"] == likes["taps_acked"] == likes["taps_sent"]
    for name in ("questions", "questions_paced"):
        questions = results[name]
        assert questions["acked"] > 0
        assert questions["lost"] == 0 and questions["duplicated"] == 0
        assert questions["resend_mismatch"] == 0
    words = results["words"]
    assert words["words"] == 500 and words["checks"] == 300
    assert 0 < words["flagged"] < words["checks"]
    assert 0 < words["us_per_check_p50"] <= words["us_per_check_p99"]
    export = results["export"]
    assert export["csv_rows"] == export["xlsx_rows"] == export["questions"] == 200
    many = results["broadcasts"]
    assert many["broadcasts"] == 20 and many["viewers"] == 40 and many["connect_errors"] == 0
    assert many["events"] > 0 and many["driver_errors"] == 0
    assert many["missing"] == 0 and many["duplicated"] == 0
    assert 0 < many["tail_connections"] <= many["redis_connections"]
    assert (out / "latest.md").read_text().startswith("Machine:")
