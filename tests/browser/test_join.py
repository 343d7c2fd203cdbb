"""The join page in chromium on a phone: type the code, land on the broadcast.

Real uvicorn, redis-server and Debian's chromium (tests/browser/conftest.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import docs_image, phone
from tests.browser.watch import Watched
from tests.integration.harness import HubProcess, Moderator, new_moderator

pytestmark = [pytest.mark.anyio, pytest.mark.browser]

WAIT_MS = 8000


@pytest.fixture(scope="module")
async def mod(hub: HubProcess, redis_url: str) -> AsyncIterator[Moderator]:
    yield await new_moderator(redis_url, hub.base)


async def test_typing_the_code_opens_the_broadcast(
    browser: Browser, hub: HubProcess, mod: Moderator
) -> None:
    created = await mod.create_broadcast(title="轨道交通协商")
    code = created["join"]
    context = await browser.new_context(**phone())
    try:
        page = await context.new_page()
        watched = Watched(page)
        await page.goto(f"{hub.base}/")
        await expect(page).to_have_title("协商在线 · 加入互动")
        await expect(page.locator("#code")).to_be_focused()
        # An empty field is refused on the page, with a message, without a request.
        await page.locator("#join-go").click()
        await expect(page.locator("#join-error")).to_have_text("请输入加入码。")
        assert page.url == f"{hub.base}/"
        # Lower case with a space, as read off the screen.
        await page.locator("#code").fill(f"{code[:3].lower()} {code[3:].lower()}")
        await expect(page.locator("#join-error")).to_be_hidden()
        await page.locator("#join-go").click()
        await page.wait_for_url(f"{hub.base}/b/{created['id']}")
        await expect(page.locator("#title")).to_have_text("轨道交通协商", timeout=WAIT_MS)
        watched.check()
    finally:
        await context.close()


@pytest.mark.docs_image
async def test_a_wrong_code_says_so_and_keeps_what_was_typed(
    browser: Browser, hub: HubProcess
) -> None:
    context = await browser.new_context(**phone())
    try:
        page = await context.new_page()
        watched = Watched(page)
        await page.goto(f"{hub.base}/")
        await page.locator("#code").fill("zz<b>9")
        await page.locator("#join-go").click()
        await page.wait_for_url("**/j?code=*")
        error = page.locator("#join-error")
        await expect(error).to_have_text("没有找到加入码“ZZ<B>9”，请核对后再试。")
        assert await error.evaluate("n => n.children.length") == 0, "shown as text"
        await expect(page.locator("#code")).to_have_value("ZZ<B>9")
        # A stale short link lands on the same page, in English once switched.
        await page.goto(f"{hub.base}/j/OLD999")
        await expect(error).to_contain_text("OLD999")
        await page.screenshot(path=docs_image("join.png"))
        await page.locator("#lang").click()
        await expect(error).to_have_text(
            "No broadcast has the join code “OLD999”. Please check it and try again."
        )
        await expect(page).to_have_title("Consultation Live · Join")
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        # Typing again clears the message.
        await page.locator("#code").fill("A")
        await expect(error).to_be_hidden()
        watched.check()
    finally:
        await context.close()
