"""The console deletes a draft poll (second click on the same button), and the
screen's poll menu defaults to the open poll, else the latest, in a real chromium."""

from __future__ import annotations

import contextlib

import pytest
import redis.asyncio as aioredis

from server.store import keys
from tests.browser.test_console_panels import (
    WAIT_MS,
    cmd,
    get,
    new_broadcast,
    open_console,
    panel,
    poll_card,
    show_tab,
)
from tests.integration.harness import HubProcess, Moderator

with contextlib.suppress(ImportError):  # the chromium fixture skips without playwright
    from playwright.async_api import Browser, expect

pytestmark = [pytest.mark.anyio, pytest.mark.browser]


async def new_poll(mod: Moderator, bid: str, question: str) -> int:
    created = await cmd(mod, bid, "poll.create", question=question, options=["是", "否"],
                        multi=False, results="after_vote")  # fmt: skip
    return int(created["poll"])


async def test_delete_a_draft_and_the_screen_menu_defaults_to_the_open_poll(
    hub: HubProcess, moderator: Moderator, browser: Browser, redis_url: str
) -> None:
    bid = await new_broadcast(moderator)
    closed = await new_poll(moderator, bid, "上一轮：换乘通道要不要加装步道？")
    await cmd(moderator, bid, "poll.state", poll=closed, state="open")
    await cmd(moderator, bid, "poll.state", poll=closed, state="closed")
    # The closed poll's results are on the screen while the next one is open.
    await cmd(moderator, bid, "overlay", show="poll", poll=closed)
    opened = await new_poll(moderator, bid, "这一轮：末班车要不要延长？")
    await cmd(moderator, bid, "poll.state", poll=opened, state="open")
    draft = await new_poll(moderator, bid, "草稿：要不要加开区间车？")

    ctx, c = await open_console(browser, hub, moderator, bid, "overlay")
    page = c.page
    menu = panel(page, "overlay").get_by_label("要显示的投票")
    await expect(menu).to_have_value(str(opened), timeout=WAIT_MS)

    p = await show_tab(page, "polls")
    for pid in (closed, opened):
        await expect(poll_card(page, pid).locator(".cp-poll-delete")).to_be_hidden()
    button = poll_card(page, draft).locator(".cp-poll-delete")
    await expect(button).to_have_text("删除草稿", timeout=WAIT_MS)
    await button.click()
    await expect(button).to_have_text("确认删除")
    assert await poll_card(page, draft).count() == 1  # one click deletes nothing
    await button.click()
    await expect(poll_card(page, draft)).to_have_count(0, timeout=WAIT_MS)
    await expect(p.locator(".cp-poll")).to_have_count(2)
    listed = await get(moderator, f"/api/broadcasts/{bid}/polls")
    assert draft not in [x["id"] for x in listed["polls"]]
    redis = aioredis.Redis.from_url(redis_url)
    try:
        assert not await redis.exists(keys.poll(bid, draft))
        rows = await redis.xrange(keys.audit(bid))
        assert [f[b"target"] for _, f in rows if f[b"action"] == b"poll.delete"] == [
            f"poll:{draft}".encode()
        ]
    finally:
        await redis.aclose()

    # No open poll any more: the menu takes the latest.
    await cmd(moderator, bid, "poll.state", poll=opened, state="closed")
    await show_tab(page, "overlay")
    await expect(menu).to_have_value(str(opened), timeout=WAIT_MS)
    c.check()
    await ctx.close()
