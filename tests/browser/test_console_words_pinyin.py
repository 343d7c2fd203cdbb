"""The console's word editor keeps the pinyin mark: typed as a third column,
saved, listed by the hub, shown again after a reload, and applied to questions
in traditional characters and in pinyin (a real chromium, a real hub)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets

import pytest

from tests.browser.test_console_panels import WAIT_MS, cmd, get, new_broadcast, open_console, panel
from tests.integration.harness import HubProcess, Moderator, viewer

with contextlib.suppress(ImportError):  # the chromium fixture skips without playwright
    from playwright.async_api import Browser, expect

pytestmark = [pytest.mark.anyio, pytest.mark.browser]


async def test_the_pinyin_column_round_trips_and_applies(
    hub: HubProcess, moderator: Moderator, browser: Browser
) -> None:
    bid = await new_broadcast(moderator, moderation=False)
    await cmd(moderator, bid, "bc.state", state="live")
    other = "补偿款" + secrets.token_hex(2)
    ctx, c = await open_console(browser, hub, moderator, bid, "words")
    p = panel(c.page, "words")
    editor = p.locator('textarea[name="words"]')
    await expect(editor).to_be_enabled(timeout=WAIT_MS)
    await editor.fill(f"骗子\tblock\tpinyin\n傻瓜\tpinyin\n{other}\n")
    await expect(p.locator(".cp-word-stats").first).to_have_text("共 3 个：屏蔽 1 个，待审 2 个")
    await expect(p.locator(".cp-errors li")).to_have_count(0)
    await p.get_by_role("button", name="保存词表").click()
    await expect(p.locator(".cp-card .cp-hint[role=status]").first).to_contain_text(
        "已保存 3 个词", timeout=WAIT_MS
    )
    words = await get(moderator, f"/api/broadcasts/{bid}/words")
    assert sorted(words["words"], key=lambda w: w["word"]) == sorted(
        [
            {"word": "骗子", "action": "block", "pinyin": True},
            {"word": "傻瓜", "action": "hold", "pinyin": True},
            {"word": other, "action": "hold"},
        ],
        key=lambda w: w["word"],
    )
    # A fresh page shows the mark again, in the import format.
    await c.page.reload()
    await expect(editor).to_be_enabled(timeout=WAIT_MS)
    text = await editor.input_value()
    assert "骗子\tblock\tpinyin" in text.splitlines()
    assert "傻瓜\tpinyin" in text.splitlines()

    asker = await viewer(hub.base, bid)
    await asker.connect()
    try:
        await asyncio.sleep(1.5)  # the lists reach every hub process within ~1 s
        statuses = {}
        for question in ("他是騙子", "別信 PIAN ZI", "你这个儍瓜", "Shanghai Metro 的 App 好用吗"):
            reply = await asker.command("ask", text=question)
            assert reply["type"] == "ack", reply
            statuses[question] = reply["result"]["status"]
    finally:
        await asker.close()
    assert statuses == {
        "他是騙子": "rejected",
        "別信 PIAN ZI": "rejected",
        "你这个儍瓜": "pending",
        "Shanghai Metro 的 App 好用吗": "approved",
    }
    c.check()
    await ctx.close()
