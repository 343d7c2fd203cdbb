"""Browser fixtures: Debian's chromium driven by Playwright (no browser download).

The tests skip themselves where /usr/bin/chromium or playwright is missing
(``make test`` installs both where apt is available): that is the machine,
never a missing feature of the hub, which fails. Playwright's async API runs
on the anyio event loop the other fixtures use. Pictures for the docs go
through ``docs_image()`` (docs/img only under ``make docs-images``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.harness import HubProcess, Moderator, new_moderator

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# These flags keep chromium quiet and working on a machine with no network.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
ROOT = Path(__file__).resolve().parents[2]
# `make docs-images` sets this: then, and only then, pictures go to docs/img
# (tracked files); every other run writes them to the session's temp dir.
DOCS_IMAGES_ENV = "XS_DOCS_IMAGES"
DOCS_IMG = ROOT / "docs" / "img"

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


# The folder of this session's pictures, in the environment rather than a
# module global: pytest imports this file once as a conftest and the test
# modules import it again, so two module objects exist.
_SHOTS_DIR_ENV = "XS_SHOTS_DIR"


@pytest.fixture(scope="session", autouse=True)
def _docs_image_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = DOCS_IMG if os.environ.get(DOCS_IMAGES_ENV) == "1" else tmp_path_factory.mktemp("img")
    folder.mkdir(parents=True, exist_ok=True)
    before = os.environ.get(_SHOTS_DIR_ENV)
    os.environ[_SHOTS_DIR_ENV] = str(folder)
    yield folder
    if before is None:
        os.environ.pop(_SHOTS_DIR_ENV, None)
    else:
        os.environ[_SHOTS_DIR_ENV] = before


def docs_image(name: str) -> Path:
    """Where the docs' picture ``name`` goes: docs/img under ``make docs-images``, else a temp dir.

    A test that draws one is marked ``@pytest.mark.docs_image`` (so the target
    runs it) and saves with ``page.screenshot(path=docs_image("name.png"))``.
    """
    return Path(os.environ[_SHOTS_DIR_ENV]) / name


@pytest.fixture(scope="module")
async def moderator(hub: HubProcess, redis_url: str) -> Moderator:
    """A moderator of its own for each test module (a file may define its own)."""
    return await new_moderator(redis_url, hub.base)


@pytest.fixture
async def dialogs() -> AsyncIterator[list[str]]:
    """Every alert/confirm/prompt a page of the test opened: there must be none
    (the pages use <dialog> and inline messages). Pass it to the page helpers."""
    seen: list[str] = []
    yield seen
    assert not seen, f"a browser dialog fired: {seen[:3]}"


def phone(**extra: Any) -> dict[str, Any]:
    """Context options of a phone: 390x844, touch, zh-CN."""
    return {
        "viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
        "is_mobile": True, "has_touch": True, "locale": "zh-CN", **extra,
    }  # fmt: skip
