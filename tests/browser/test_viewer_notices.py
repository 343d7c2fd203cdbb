"""The phone page's notices and terminal states in a real chromium: the
"已提交，等待审核" notice goes once the question was approved or put on air;
the pages of an unknown broadcast and of a banned viewer have a real title and
no dead ask form."""

from __future__ import annotations

import pytest

from tests.browser.test_console_panels import cmd, new_broadcast, open_console, open_viewer
from tests.integration.harness import HubProcess, Moderator, viewer

with __import__("contextlib").suppress(ImportError):
    from playwright.async_api import Browser, expect

pytestmark = [pytest.mark.anyio, pytest.mark.browser]
WAIT_MS = 8000


async def test_the_waiting_notice_goes_once_the_question_is_approved(
    hub: HubProcess, moderator: Moderator, browser: Browser
) -> None:
    bid = await new_broadcast(moderator)
    await cmd(moderator, bid, "bc.state", state="live")
    ctx, phone = await open_viewer(browser, hub, bid)
    page = phone.page
    await page.locator("#ask-text").fill("末班车能否延长到夜里十二点？")
    await page.locator("#ask-submit").click()
    feedback = page.locator("#ask-feedback")
    await expect(feedback).to_have_text("已提交，等待审核", timeout=WAIT_MS)
    mine = page.locator("#mine-list .mine-item")
    await expect(mine).to_have_count(1, timeout=WAIT_MS)
    # The broadcast's first question is number 1.
    await cmd(moderator, bid, "q.status", qid=1, status="approved")
    await expect(mine.locator(".badge")).not_to_have_text("待审核", timeout=WAIT_MS)
    await expect(feedback).to_have_text("")
    phone.check()
    await ctx.close()


async def test_terminal_pages_have_a_title_and_no_dead_form(
    hub: HubProcess, moderator: Moderator, browser: Browser
) -> None:
    context = await browser.new_context(locale="zh-CN")
    page = await context.new_page()
    await page.goto(f"{hub.base}/b/no-such-broadcast-x")
    await expect(page.locator("#banner-text")).to_have_text(
        "这场直播不存在或已被删除。", timeout=WAIT_MS
    )
    await expect(page.locator("#title")).to_have_text("无法参与本场直播")
    assert await page.title() == "无法参与本场直播 · 协商在线 · 互动"
    await expect(page.locator("#ask")).to_be_hidden()
    await expect(page.locator("#dock-ask")).to_be_hidden()
    await context.close()

    # Banned while on the page: the broadcast's title stays, the form goes.
    bid = await new_broadcast(moderator)
    await cmd(moderator, bid, "bc.state", state="live")
    ctx, phone = await open_viewer(browser, hub, bid)
    page = phone.page
    await page.locator("#ask-text").fill("我想问一个问题")
    await page.locator("#ask-submit").click()
    await expect(page.locator("#ask-feedback")).to_have_text("已提交，等待审核", timeout=WAIT_MS)
    await cmd(moderator, bid, "viewer.ban", qid=1, on=True)
    await expect(page.locator("#banner-text")).to_have_text(
        "你已被禁止在本场直播中互动。", timeout=WAIT_MS
    )
    await expect(page.locator("#title")).to_have_text("城市轨道交通规划")
    await expect(page.locator("#ask")).to_be_hidden()
    assert (await page.title()).startswith("无法参与本场直播")
    await ctx.close()


async def test_rehearsal_data_is_marked_on_the_phone_and_the_overlay_preview(
    hub: HubProcess, moderator: Moderator, browser: Browser
) -> None:
    bid = await new_broadcast(moderator)
    async with moderator.http() as http:
        r = await http.post(f"/api/broadcasts/{bid}/rehearsal", json={"action": "fill"})
        assert r.status_code == 200, r.text
    ctx, phone = await open_viewer(browser, hub, bid)
    page = phone.page
    await expect(page.locator("#rehearsal")).to_have_text("彩排", timeout=WAIT_MS)
    await expect(page.locator("#rehearsal-note")).to_contain_text("示例数据")
    cctx, console = await open_console(browser, hub, moderator, bid, "overlay")
    preview = console.page.frame_locator(".cp-preview-frame")
    await expect(preview.locator("body")).to_have_attribute("data-rehearsal", "", timeout=WAIT_MS)
    async with moderator.http() as http:
        r = await http.post(f"/api/broadcasts/{bid}/rehearsal", json={"action": "clear"})
        assert r.status_code == 200, r.text
    await expect(page.locator("#rehearsal")).to_be_hidden(timeout=WAIT_MS)
    await expect(page.locator("#rehearsal-note")).to_be_hidden()
    await expect(preview.locator("body")).not_to_have_attribute(
        "data-rehearsal", "", timeout=WAIT_MS
    )
    phone.check()
    await ctx.close()
    await cctx.close()


async def test_the_asker_has_no_upvote_on_their_own_question(
    hub: HubProcess, moderator: Moderator, browser: Browser
) -> None:
    bid = await new_broadcast(moderator, moderation=False)
    await cmd(moderator, bid, "bc.state", state="live")
    ctx, phone = await open_viewer(browser, hub, bid)
    page = phone.page
    await page.locator("#ask-text").fill("公交线路能不能调整？")
    await page.locator("#ask-submit").click()
    own = page.locator("#q-list .q-item[data-own]")
    await expect(own).to_have_count(1, timeout=WAIT_MS)
    await expect(own.locator(".vote")).to_be_disabled()
    await expect(own.locator(".vote")).to_have_attribute(
        "aria-label", "这是你的提问，提问即表示支持；另有 0 人赞同"
    )
    other = await viewer(hub.base, bid)
    await other.connect()
    try:
        reply = await other.command("upvote", qid=1, on=True)
        assert reply["type"] == "ack", reply
        await expect(own.locator(".vote .n")).to_have_text("1", timeout=WAIT_MS)
    finally:
        await other.close()
    phone.check()
    await ctx.close()
