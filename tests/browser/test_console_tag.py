"""A moderator files a question under one of the broadcast's tags from the
console's side column (``q.tag``): the phone shows the tag, the log records it."""

from __future__ import annotations

import pytest

from tests.browser.test_console_panels import cmd, get, new_broadcast, open_console, open_viewer
from tests.integration.harness import HubProcess, Moderator, viewer

with __import__("contextlib").suppress(ImportError):
    from playwright.async_api import Browser, expect

pytestmark = [pytest.mark.anyio, pytest.mark.browser]
WAIT_MS = 8000


async def test_a_moderator_sets_and_clears_a_questions_tag(
    hub: HubProcess, moderator: Moderator, browser: Browser
) -> None:
    bid = await new_broadcast(moderator, moderation=False)  # tags 交通, 东城区
    await cmd(moderator, bid, "bc.state", state="live")
    asker = await viewer(hub.base, bid)
    await asker.connect()
    try:
        qid = (await asker.command("ask", text="东直门换乘通道太长了"))["result"]["qid"]
    finally:
        await asker.close()
    vctx, phone = await open_viewer(browser, hub, bid)
    ctx, console = await open_console(browser, hub, moderator, bid)
    page = console.page
    await page.locator('.q-view[data-view="approved"]').click()
    await page.locator(f'#panel-queue .q-row[data-qid="{qid}"]').click(position={"x": 5, "y": 5})
    picker = page.locator(".qs-detail select.qs-tag")
    await expect(picker).to_have_value("")
    await picker.select_option("东城区")
    item = phone.page.locator(f'#q-list .q-item[data-qid="{qid}"]')
    await expect(item.locator(".tag")).to_have_text("东城区", timeout=WAIT_MS)
    await expect(page.locator(".qs-detail select.qs-tag")).to_have_value("东城区")
    log = await get(moderator, f"/api/broadcasts/{bid}/audit")
    tagged = [e for e in log["entries"] if e["action"] == "q.tag"]
    assert tagged[0]["detail"] == {"from": None, "to": "东城区"}
    assert tagged[0]["user"] == moderator.user
    # A tag the broadcast does not have is refused; clearing works.
    refused = await moderator.command(bid, "q.tag", qid=qid, tag="不存在的标签")
    assert refused.get("error") == "invalid", refused
    await page.locator(".qs-detail select.qs-tag").select_option("")
    await expect(item.locator(".tag")).to_have_count(0, timeout=WAIT_MS)
    console.check()
    phone.check()
    await ctx.close()
    await vctx.close()
