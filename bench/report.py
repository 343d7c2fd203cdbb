"""The benchmark report: a Markdown table and a PNG chart of ``latest.json``.

The chart is an SVG drawn here and rasterised by the same Debian chromium the
browser tests use (through Playwright), so plotting costs no extra dependency.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

TARGETS = {
    ("fanout", "ratio"): (">=", 0.9),
    ("fanout", "p99_ms"): ("<=", 150),
    ("fanout", "missing"): ("==", 0),
    ("fanout", "duplicated"): ("==", 0),
    ("connections", "p99_ms"): ("<=", 300),
    ("connections", "kb_per_connection"): ("<=", 50),
    ("likes", "taps_per_s"): (">=", 250_000),
    ("likes", "redis_writes_per_s"): ("<=", 5),
    ("questions", "acked_per_s"): (">=", 2000),
    ("questions", "p99_ack_ms"): ("<=", 100),
    ("questions", "lost"): ("==", 0),
    ("questions", "duplicated"): ("==", 0),
    ("questions_paced", "acked_per_s"): (">=", 2000),
    ("questions_paced", "p99_ack_ms"): ("<=", 100),
    ("questions_paced", "lost"): ("==", 0),
    ("questions_paced", "duplicated"): ("==", 0),
    ("words", "us_per_check_p99"): ("<=", 1000),  # under a millisecond per question
    # A crowd answering a word cloud: acked fast, nothing lost, bounded clouds.
    ("wordcloud", "acked_per_s"): (">=", 1000),
    ("wordcloud", "p99_ack_ms"): ("<=", 100),
    ("wordcloud", "lost"): ("==", 0),
    ("wordcloud", "console_clouds_max_per_s"): ("<=", 50),  # one per 20 ms tick at most
    ("wordcloud", "overlay_clouds_max_per_s"): ("<=", 50),
    ("wordcloud", "cloud_max_words"): ("<=", 50),
    # 10,000 questions: an export a moderator waits for during the show.
    ("export", "csv_s"): ("<=", 5),
    ("export", "xlsx_s"): ("<=", 10),
    ("fanout_saturation", "ratio"): (">=", 1.5),
    ("fanout_saturation", "p99_ms"): ("<=", 100),
    ("fanout_saturation", "missing"): ("==", 0),
    ("fanout_saturation", "duplicated"): ("==", 0),
    # 1,000 broadcasts x 5 viewers on one process (docs/performance.md).
    ("broadcasts", "redis_connections"): ("<=", 8),
    ("broadcasts", "idle_cpu_pct"): ("<=", 5),
    ("broadcasts", "p99_ms"): ("<=", 150),
    ("broadcasts", "missing"): ("==", 0),
}


def verdict(section: str, key: str, value: Any, results: dict[str, Any]) -> str:
    if section == "batched" and key == "hub_events_per_s":
        raw = results.get("fanout", {}).get("raw_frames_per_s")
        if raw:
            return f"{'met' if value >= 3 * raw else 'MISSED'} (>= 3x raw {raw})"
    if section == "likes" and key == "taps_counted":
        sent = results["likes"].get("taps_sent")
        return "met (== taps_sent)" if value == sent else "MISSED (!= taps_sent)"
    if section == "export" and key.endswith("_rows"):
        n = results["export"].get("questions")
        return "met (== questions)" if value == n else "MISSED (!= questions)"
    target = TARGETS.get((section, key))
    if target is None or value is None:
        return ""
    op, bound = target
    ok = {"<=": value <= bound, ">=": value >= bound, "==": value == bound}[op]
    return f"{'met' if ok else 'MISSED'} ({op} {bound})"


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"Machine: {m['cores']} cores ({m['cpu']}), Python {m['python']}, Redis {m['redis']}"
        + (" — QUICK smoke run, numbers mean nothing" if results.get("quick") else ""),
        "",
        "| scenario | figure | value | target |",
        "| --- | --- | --- | --- |",
    ]
    for section, figures in results.items():
        if not isinstance(figures, dict) or section == "machine":
            continue
        for key, value in figures.items():
            if key == "wall_s":
                continue
            note = verdict(section, key, value, results)
            lines.append(f"| {section} | {key} | {value} | {note} |")
    return "\n".join(lines) + "\n"


def _bars(title: str, rows: list[tuple[str, float]], unit: str, x: int, y: int) -> str:
    bar_h = 22
    top = max([v for _, v in rows] + [1e-9])
    parts = [
        f'<g transform="translate({x},{y})">',
        f'<text x="0" y="18" class="t">{html.escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(rows):
        by = 34 + i * 34
        w = int(360 * value / top)
        parts += [
            f'<text x="0" y="{by + 16}" class="l">{html.escape(label)}</text>',
            f'<rect x="150" y="{by}" width="{max(w, 1)}" height="{bar_h}" class="b{i % 3}"/>',
            f'<text x="{158 + w}" y="{by + 16}" class="v">{value:,.1f} {html.escape(unit)}</text>',
        ]
    parts.append("</g>")
    return "\n".join(parts)


def svg(results: dict[str, Any]) -> str:
    f, b = results.get("fanout", {}), results.get("batched", {})
    c, lk = results.get("connections", {}), results.get("likes", {})
    q = results.get("questions", {})
    panels = [
        (
            "Fan-out frames/s (5k viewers, 10 Hz)",
            [
                ("hub", f.get("hub_frames_per_s") or 0),
                ("raw websockets", f.get("raw_frames_per_s") or 0),
            ],
            "/s",
        ),
        (
            "Delivery latency p99",
            [
                ("hub fan-out", f.get("p99_ms") or 0),
                ("raw websockets", f.get("raw_p99_ms") or 0),
                ("hub 10k @ 1 Hz", c.get("p99_ms") or 0),
            ],
            "ms",
        ),
        (
            "Events/s delivered",
            [
                ("hub batched", b.get("hub_events_per_s") or 0),
                ("hub 1/tick", f.get("hub_events_per_s") or 0),
                ("raw 1 frame/event", f.get("raw_frames_per_s") or 0),
            ],
            "/s",
        ),
        (
            "Likes and questions per process",
            [
                ("taps/s", lk.get("taps_per_s") or 0),
                ("questions/s x100", (q.get("acked_per_s") or 0) * 100),
            ],
            "",
        ),
    ]
    body = [
        _bars(t, rows, unit, 20 + (i % 2) * 620, 20 + (i // 2) * 200)
        for i, (t, rows, unit) in enumerate(panels)
    ]
    m = results.get("machine", {})
    caption = html.escape(
        f"{m.get('cores')} cores · Python {m.get('python')} · Redis {m.get('redis')}"
    )
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="1240" height="440">
<style>
text {{ font-family: "Noto Sans CJK SC", sans-serif; fill: #1d2733; }}
.t {{ font-size: 17px; font-weight: 700; }} .l {{ font-size: 14px; }} .v {{ font-size: 13px; }}
.b0 {{ fill: #c0392b; }} .b1 {{ fill: #7f8c8d; }} .b2 {{ fill: #2c7fb8; }}
</style>
<rect width="1240" height="440" fill="#fff"/>
{"".join(body)}
<text x="20" y="430" class="v">{caption}</text>
</svg>"""


def plot(results: dict[str, Any], path: Path) -> Path | None:
    """Rasterise the chart with chromium; None when no browser is available."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path("/usr/bin/chromium").exists():
        return None
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1240, "height": 440})
            page.set_content(f"<html><body style='margin:0'>{svg(results)}</body></html>")
            page.screenshot(path=str(path))
        finally:
            browser.close()
    return path
