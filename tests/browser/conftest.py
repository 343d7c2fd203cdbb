"""Browser fixtures: Debian's chromium driven by Playwright (no browser download).

The tests skip themselves where /usr/bin/chromium or playwright is missing
(``make test`` installs both where apt is available). Playwright's async API
runs on the anyio event loop the other fixtures use.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Measured: these flags keep chromium quiet and working on a machine with no network.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
IMG_DIR = Path(__file__).resolve().parents[2] / "docs" / "img"

pytestmark = pytest.mark.browser

try:
    from playwright.async_api import Browser, async_playwright
except ImportError:  # pragma: no cover - make test installs it
    async_playwright = None  # type: ignore[assignment]


def _skip_reason() -> str | None:
    if async_playwright is None:
        return "playwright is not installed"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """One chromium per test module (each page gets its own context, so its own cookie)."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


def phone(**extra: Any) -> dict[str, Any]:
    """Context options of a phone: 390x844, touch, zh-CN."""
    return {
        "viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
        "is_mobile": True, "has_touch": True, "locale": "zh-CN", **extra,
    }  # fmt: skip
