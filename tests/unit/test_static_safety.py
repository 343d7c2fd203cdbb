"""Everything under static/ treats data as text (docs/reliability.md 23).

A grep, on purpose: it is cheap, it covers every page (the viewer's, the
console's, the overlay's) and every future file, and it fails on the first
``innerHTML`` anyone writes, comment or not, so the rule never needs judging
case by case. The browser tests show the same thing from the outside (payloads
render literally, no dialog fires); this test keeps the sinks out of the code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "static"

# Sinks that parse a string as HTML or as code.
JS_SINKS = {
    "innerHTML": re.compile(r"innerHTML"),
    "outerHTML": re.compile(r"outerHTML"),
    "insertAdjacentHTML": re.compile(r"insertAdjacentHTML"),
    "document.write": re.compile(r"document\s*\.\s*write"),
    "eval": re.compile(r"(?<![\w.$])eval\s*\("),
    "new Function": re.compile(r"new\s+Function\s*\("),
    "string timer": re.compile(r"set(?:Timeout|Interval)\s*\(\s*['\"`]"),
    "createContextualFragment": re.compile(r"createContextualFragment"),
    "DOMParser": re.compile(r"DOMParser"),
    "srcdoc": re.compile(r"srcdoc"),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}
# What the CSP forbids anyway; caught here before a browser silently drops it.
HTML_RULES = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "inline style element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "third-party URL": re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE),
}


# Third-party code kept byte for byte as published (static/vendor/*/VENDORED.md):
# not ours to grep; tests/unit/test_vendor.py pins every byte of it instead,
# and checks that only the report pages load it.
VENDOR = STATIC / "vendor"


def files(*suffixes: str) -> list[Path]:
    return sorted(
        p
        for p in STATIC.rglob("*")
        if p.is_file() and p.suffix in suffixes and VENDOR not in p.parents
    )


def test_static_has_pages() -> None:
    assert files(".js"), "static/ has no JavaScript: is the path right?"
    assert files(".html")


@pytest.mark.parametrize("path", files(".js", ".mjs", ".html"), ids=lambda p: p.name)
def test_no_html_or_code_sinks(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [name for name, pattern in JS_SINKS.items() if pattern.search(text)]
    assert not found, f"{path.relative_to(STATIC)} uses {found}"


@pytest.mark.parametrize("path", files(".html"), ids=lambda p: p.name)
def test_html_is_csp_clean(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [name for name, pattern in HTML_RULES.items() if pattern.search(text)]
    assert not found, f"{path.relative_to(STATIC)} has {found}"


@pytest.mark.parametrize("path", files(".css"), ids=lambda p: p.name)
def test_css_loads_nothing_from_elsewhere(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"@import|url\(\s*['\"]?(?:https?:)?//", text), path.name
    assert "expression(" not in text, path.name
