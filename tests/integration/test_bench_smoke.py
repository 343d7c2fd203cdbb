"""A seconds-long run of the benchmark harness: it must count correctly.

Asserts correctness only (nothing missing, nothing duplicated, every tap
counted, every acked question stored); timings belong to ``make bench``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]


def quick(tmp_path: Path, only: str) -> dict[str, Any]:
    """``python -m bench --quick --only <only>``: its results."""
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", only, "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results: dict[str, Any] = orjson.loads((out / "latest.json").read_bytes())
    return results


def test_quick_bench_counts_exactly(tmp_path: Path) -> None:
    results = quick(
        tmp_path, "fanout,likes,questions,questions_paced,words,export,wordcloud,broadcasts"
    )
    out = tmp_path / "results"
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
    cloud = results["wordcloud"]
    assert cloud["acked"] == cloud["viewers"] == cloud["stored"] == cloud["ballots"] == 30
    assert cloud["lost"] == 0 and cloud["errors"] == {} and cloud["words_counted_match"]
    assert cloud["console_cloud_frames"] > 0 and cloud["cloud_max_words"] <= cloud["cloud_top_n"]
    export = results["export"]
    assert export["csv_rows"] == export["xlsx_rows"] == export["questions"] == 200
    many = results["broadcasts"]
    assert many["broadcasts"] == 20 and many["viewers"] == 40 and many["connect_errors"] == 0
    assert many["events"] > 0 and many["driver_errors"] == 0
    assert many["missing"] == 0 and many["duplicated"] == 0
    assert 0 < many["tail_connections"] <= many["redis_connections"]
    assert (out / "latest.md").read_text().startswith("Machine:")


def test_quick_joins_storm_and_growth_serve_everyone(tmp_path: Path) -> None:
    # bench/joins.py: counts only (every join served, every pending question
    # reached by paging, the snapshot bounded and read once in the storm).
    results = quick(tmp_path, "join,storm,growth")
    join = results["join"]
    assert join["errors"] == 0
    assert join["moderator_pending_reached"] == join["questions"] - join["approved"]
    assert join["snapshot_bytes"] < 64 * 1024
    storm = results["storm"]
    assert storm["served"] == storm["clients"] and storm["errors"] == 0
    assert storm["outcomes"] == {"recovered": storm["clients"] // 2, "fresh": storm["clients"] // 2}
    assert storm["redis_snapshot_reads"] <= 2
    growth = results["growth"]
    assert {"10", "100", "ratio_last_to_first"} <= set(growth)
