"""docs/reliability.md names the test of each scenario as ``file::function``
(under tests/): every one must exist, so the document cannot point at a test
that was renamed or removed. And code comments cite its numbers only."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reliability.md"
REF = re.compile(r"`((?:unit|integration|store|browser|cluster)/test_\w+\.py)::(test_\w+)`")
SCENARIO = re.compile(r"^(\d+)\. \*\*", re.MULTILINE)


def test_every_named_test_exists() -> None:
    text = DOC.read_text("utf-8")
    refs = REF.findall(text)
    assert len(refs) > 60
    missing = []
    for path, name in refs:
        source = (
            (ROOT / "tests" / path).read_text("utf-8") if (ROOT / "tests" / path).exists() else ""
        )
        if not re.search(rf"^(async )?def {name}\(", source, re.MULTILINE):
            missing.append(f"{path}::{name}")
    assert not missing, missing


def test_scenarios_are_numbered_once_in_order() -> None:
    numbers = [int(n) for n in SCENARIO.findall(DOC.read_text("utf-8"))]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 35


def test_code_cites_the_repository_not_outside_documents() -> None:
    """Comments name docs/reliability.md and files of the repository, not the
    documents the scenarios came from, nor modules or settings that do not exist."""
    stale = re.compile(
        r"RELIABILITY \d|\bFINDINGS\b|spec-console\.md|helper S\d|\bU\d's\b|\bissue #?\d"
        r"|session_check_s|channel_idle_s"
    )
    found = []
    for folder in ("server", "static", "tests", "bench", "docs"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in {".py", ".js", ".mjs", ".lua", ".md", ".html", ".css"}:
                continue
            if path == Path(__file__).resolve():
                continue
            for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
                if stale.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert not found, "\n".join(found[:40])
