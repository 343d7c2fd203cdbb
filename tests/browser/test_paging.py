"""The viewer page and the console load more questions as the list is scrolled
(docs/protocol.md, "Paging"): the snapshot holds the first page, scrolling to
the end reads the next ones with ``questions.page`` until every question is
listed, in a real chromium against a real hub."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from server.domain import paging
from tests.browser.test_console_queue import open_console
from tests.browser.test_viewer import live_broadcast, open_viewer
from tests.integration.harness import HubProcess, Moderator
from tests.integration.test_hub_paging import seed

pytestmark = [pytest.mark.anyio, pytest.mark.browser]

WAIT_MS = 15000
N = 130  # more than two pages of 50


async def scroll_until(page: Page, items: Locator) -> None:
    """Scroll to the list's end until it holds all N: each scroll must add some."""
    seen = await items.count()
    while seen < N:
        await page.locator("#q-end").scroll_into_view_if_needed()
        await expect(items).not_to_have_count(seen, timeout=WAIT_MS)
        seen = await items.count()
    await expect(items).to_have_count(N)


async def test_the_viewer_page_loads_more_on_scroll(
    browser: Browser, hub: HubProcess, mod: Moderator, redis_url: str
) -> None:
    bid = await live_broadcast(mod, title="分页", settings={"moderation": False})
    await seed(redis_url, bid, N)
    page = await open_viewer(browser, hub, bid)
    items = page.locator("#q-list > li")
    await expect(items).to_have_count(paging.FIRST_PAGE, timeout=WAIT_MS)
    await scroll_until(page, items)
    await page.context.close()


async def test_the_console_loads_more_pending_questions_on_scroll(
    browser: Browser, hub: HubProcess, mod: Moderator, redis_url: str
) -> None:
    created = await mod.create_broadcast(title="分页队列", settings={"moderation": True})
    bid = created["id"]
    await seed(redis_url, bid, N)
    console = await open_console(browser, hub, mod, bid)
    page = console.page
    # The count is the whole queue, the list its first page until scrolled.
    await console.count("pending", N)
    rows = page.locator("#q-list .q-row")
    await expect(rows).to_have_count(paging.FIRST_PAGE, timeout=WAIT_MS)
    await scroll_until(page, rows)
    assert not console.errors, console.errors
    await page.context.close()
