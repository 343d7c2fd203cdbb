"""The live console's layout with long names and many bans, at the two laptop
sizes a production team uses (1280×720, 1440×900): the side column fits its
slot (nothing wider than the column, no sideways scrolling) and every 解除封禁
button is inside the viewport."""

from __future__ import annotations

import pytest

from tests.browser.test_console_panels import cmd, new_broadcast
from tests.browser.watch import Watched
from tests.integration.harness import HubProcess, Moderator, viewer

with __import__("contextlib").suppress(ImportError):
    from playwright.async_api import Browser, expect

pytestmark = [pytest.mark.anyio, pytest.mark.browser]
WAIT_MS = 8000
LONG_NAME = "东城区和平里街道第三社区居民委员会热心市民王小明"[:24]
LONG_TEXT = "关于地铁三号线东延工程施工期间夜间噪音扰民问题" * 4


@pytest.mark.parametrize("size", [(1280, 720), (1440, 900)])
async def test_side_column_fits_with_long_names_and_many_bans(
    hub: HubProcess, moderator: Moderator, browser: Browser, size: tuple[int, int]
) -> None:
    bid = await new_broadcast(moderator, moderation=False)
    await cmd(moderator, bid, "bc.state", state="live")
    qids = []
    for i in range(12):
        v = await viewer(hub.base, bid)
        await v.connect()
        try:
            reply = await v.command("ask", text=f"{LONG_TEXT}{i}", name=LONG_NAME)
            assert reply["type"] == "ack", reply
            qids.append(reply["result"]["qid"])
        finally:
            await v.close()
    for qid in qids[:10]:
        await cmd(moderator, bid, "viewer.ban", qid=qid, on=True)
    width, height = size
    context = await browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    await context.add_cookies(
        [{"name": "xs_sess", "value": moderator.cookies["xs_sess"], "url": hub.base}]
    )
    w = Watched(await context.new_page())
    page = w.page
    await page.goto(f"{hub.base}/console/{bid}")
    await expect(page.locator(".qs-banned .qs-ban")).to_have_count(10, timeout=WAIT_MS)
    # One of the two questions left, selected: its detail box is in the column too.
    await page.locator('.q-view[data-view="approved"]').click()
    await page.locator("#panel-queue .q-row").first.click(position={"x": 5, "y": 5})
    fit = await page.evaluate(
        """() => {
            const side = document.querySelector('.q-side');
            const r = side.getBoundingClientRect();
            const wide = [...side.querySelectorAll('*')].filter(
                (n) => n.getBoundingClientRect().right > r.right + 1).map((n) => n.className);
            return {right: r.right, scroll: side.scrollWidth - side.clientWidth,
                    page: document.documentElement.scrollWidth - innerWidth, wide};
        }"""
    )
    assert fit["right"] <= width and fit["scroll"] <= 0 and fit["page"] <= 0, fit
    assert fit["wide"] == [], fit
    for button in await page.locator('.qs-banned [data-act="unban"]').all():
        await button.scroll_into_view_if_needed()
        box = await button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    w.check()
    await context.close()
