"""Vendored third-party files stay exactly as published, licensed, and loaded
only where they are needed (static/vendor/*/VENDORED.md)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static"
ECHARTS = STATIC / "vendor" / "echarts"


def test_echarts_is_the_published_file_with_its_licenses() -> None:
    manifest = (ECHARTS / "VENDORED.md").read_text("utf-8")
    pinned = re.search(r"`echarts\.common\.min\.js` .*`([0-9a-f]{64})`", manifest)
    assert pinned is not None
    digest = hashlib.sha256((ECHARTS / "echarts.common.min.js").read_bytes()).hexdigest()
    assert digest == pinned.group(1)
    assert "Apache License" in (ECHARTS / "LICENSE").read_text("utf-8")
    assert (ECHARTS / "NOTICE").read_text("utf-8").startswith("Apache ECharts")
    assert sorted(p.name for p in ECHARTS.iterdir()) == [
        "LICENSE", "LICENSE-d3", "NOTICE", "VENDORED.md", "echarts.common.min.js",
    ]  # fmt: skip


def test_only_the_report_pages_load_echarts() -> None:
    loaders = sorted(
        p.name for p in STATIC.rglob("*.html") if "vendor/echarts/" in p.read_text("utf-8")
    )
    assert loaders == ["report.html"]  # /report/<bid> and /report/s/<season>
