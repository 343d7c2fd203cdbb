"""The end of a show in a real chromium (docs/console.md, "Ending the show"):
a moderator clicks 结束直播 in the console; the phone shows the ended state
(final like total and poll results, the replies page, no ask form, no heart),
the overlay goes blank (widgets the URL keeps on included), the hub refuses
likes and upvotes with ``closed``; 重新开播 brings questions back."""

from __future__ import annotations

import pytest

from bench.console5k import fill
from tests.browser.conftest import docs_image
from tests.browser.test_console_panels import (
    FULL_HD,
    cmd,
    get,
    new_broadcast,
    open_console,
    open_viewer,
    panel,
    save_picture,
    vote_all,
    voters,
)
from tests.integration.harness import HubProcess, Moderator, viewer

with __import__("contextlib").suppress(ImportError):
    from playwright.async_api import Browser, expect

pytestmark = [pytest.mark.anyio, pytest.mark.browser]
WAIT_MS = 8000


@pytest.mark.docs_image
async def test_end_of_show_on_phone_console_and_overlay(
    hub: HubProcess, moderator: Moderator, browser: Browser
) -> None:
    bid = await new_broadcast(moderator, moderation=False)
    await cmd(moderator, bid, "bc.state", state="live")
    asker = await viewer(hub.base, bid)
    await asker.connect()
    try:
        on_air = (await asker.command("ask", text="新线什么时候开工？"))["result"]["qid"]
        waiting = (await asker.command("ask", text="换乘站会不会加装电梯？"))["result"]["qid"]
        await cmd(moderator, bid, "q.status", qid=on_air, status="on_air")
        pid = (await cmd(moderator, bid, "poll.create", question="您最关心哪一项？",
                         options=["工期", "票价", "换乘"], multi=False,
                         results="always"))["poll"]  # fmt: skip
        await cmd(moderator, bid, "poll.state", poll=pid, state="open")
        async with voters(hub, bid, 3) as vs:
            await vote_all(vs, pid, [0, 2, 2])
        await cmd(moderator, bid, "overlay", show="question")

        vctx, phone = await open_viewer(browser, hub, bid)
        page = phone.page
        onair = page.locator("#onair-text")
        await expect(onair).to_have_text("新线什么时候开工？", timeout=WAIT_MS)
        for _ in range(3):
            await page.locator("#like").click()
        await expect(page.locator("#like-total")).to_have_text("3")
        info = await get(moderator, f"/api/broadcasts/{bid}")
        octx = await browser.new_context(viewport=FULL_HD, locale="zh-CN")
        obs = await octx.new_page()
        await obs.goto(f"{hub.base}/overlay/{bid}?key={info['overlay_key']}&on=likes")
        await expect(obs.locator(".xs-question.is-shown")).to_be_visible(timeout=WAIT_MS)
        await expect(obs.locator(".xs-likes.is-shown")).to_be_visible()

        # The end, from the console's settings tab, after its confirm.
        cctx, console = await open_console(browser, hub, moderator, bid, "settings")
        settings = panel(console.page, "settings")
        # The phone's likes were counted by the hub (the console's figure) before the end.
        await expect(console.page.locator("#stat-likes")).to_have_text("3", timeout=WAIT_MS)
        await settings.get_by_role("button", name="结束直播").click()
        await expect(settings.locator(".cp-state-card .cp-badge")).to_have_text(
            "已结束", timeout=WAIT_MS
        )
        assert any("大屏内容将撤下" in d for d in console.dialogs)
        again = settings.get_by_role("button", name="重新开播")
        await expect(again).to_be_visible()

        # The phone: the ended card with the final figures, nothing to type or tap.
        await expect(page.locator("#ended")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#ended-h")).to_have_text("本场直播已结束")
        await expect(page.locator("#ended-likes")).to_have_text("3")
        await expect(page.locator("#ended-replies")).to_have_attribute("href", f"/r/{bid}")
        for gone in ("#ask", "#onair", "#like", "#dock-ask"):
            await expect(page.locator(gone)).to_be_hidden()
        poll = page.locator(f'.poll[data-poll="{pid}"]')
        await expect(poll.locator(".pill").nth(1)).to_have_text("已结束")
        await expect(poll).to_contain_text("换乘")
        await expect(page.locator(f'#q-list .q-item[data-qid="{waiting}"] .vote')).to_be_disabled()
        assert await page.title() != "正在加载…"
        # The overlay: blank, the likes counter its URL keeps on included.
        await expect(obs.locator(".xs-widget.is-shown")).to_have_count(0, timeout=WAIT_MS)
        # The hub: a like or an upvote sent anyway is refused 'closed'.
        like = await asker.command("like", n=2)
        assert (like["type"], like["code"]) == ("error", "closed"), like
        upvote = await asker.command("upvote", qid=waiting, on=True)
        assert (upvote["type"], upvote["code"]) == ("error", "closed"), upvote
        await page.screenshot(path=docs_image("viewer-ended.png"))
        await save_picture(console.page, "console-ended.png")

        # Going live again: the ask form and the heart come back; the poll stays closed.
        await again.click()
        await expect(settings.locator(".cp-state-card .cp-badge")).to_have_text(
            "直播中", timeout=WAIT_MS
        )
        await expect(page.locator("#ask")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#ended")).to_be_hidden()
        await expect(page.locator("#like")).to_be_visible()
        await expect(poll.locator(".pill").nth(1)).to_have_text("已结束")
        await expect(obs.locator(".xs-likes.is-shown")).to_be_visible(timeout=WAIT_MS)
        for watched in (phone, console):
            watched.check()
        for ctx in (vctx, octx, cctx):
            await ctx.close()
    finally:
        await asker.close()


async def test_the_console_works_with_thousands_of_questions(
    hub: HubProcess, moderator: Moderator, browser: Browser, redis_url: str
) -> None:
    """The functional side of bench/console5k.py (its timings are the bench's):
    with 3,000 questions (1,200 of them pending) the queue draws its first
    page, the counts are exact, and the keys move the selection and approve."""
    bid = await new_broadcast(moderator)
    await cmd(moderator, bid, "bc.state", state="live")
    await fill(redis_url, bid, 3000)
    ctx, console = await open_console(browser, hub, moderator, bid)
    page = console.page
    pending = page.locator('.q-view[data-view="pending"] .q-view-n')
    await expect(pending).to_have_text("1200", timeout=30_000)
    rows = page.locator("#panel-queue .q-row")
    await expect(rows.first).to_be_visible()
    assert await rows.count() < 1200  # drawn a page at a time
    await rows.first.click(position={"x": 5, "y": 5})
    first = await page.locator('#panel-queue .q-row[aria-current="true"]').get_attribute("data-qid")
    await page.keyboard.press("j")
    selected = page.locator('#panel-queue .q-row[aria-current="true"]')
    await expect(selected).not_to_have_attribute("data-qid", first or "", timeout=WAIT_MS)
    chosen = await selected.get_attribute("data-qid")
    await page.keyboard.press("a")
    await expect(pending).to_have_text("1199", timeout=30_000)
    await expect(page.locator(f'#panel-queue .q-row[data-qid="{chosen}"]')).to_have_count(0)
    console.check()
    await ctx.close()
